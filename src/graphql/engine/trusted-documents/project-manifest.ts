import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  type DefinitionNode,
  type FragmentDefinitionNode,
  Kind,
  type OperationDefinitionNode,
  parse,
  print,
  visit,
} from 'graphql';
import { EXPLORER_DEFAULT_QUERY, README_TITLE_PAGE_QUERY } from './title-page-query';
import { packageRoot } from '../../../package-root';

/**
 * The project's own manifest (schema/trusted-documents.json), in Apollo's
 * persisted query manifest format: the explorer's default query exactly as
 * GraphiQL sends it, the README's title page (the same without its comment
 * line, as a reader copies it), and each operation under
 * test/operations/ with the fragments it uses, printed as a client prints the
 * typed document GraphQL Code Generator makes of it (test/generated), so the
 * tests' requests are registered documents too. `npm run trusted-documents`
 * writes it; a test fails while the committed file differs.
 */
export const PROJECT_MANIFEST_SOURCES = {
  operations: path.join(packageRoot(__dirname), 'test', 'operations'),
};

export interface ApolloManifest {
  format: 'apollo-persisted-query-manifest';
  version: 1;
  operations: Array<{ id: string; name: string; type: string; body: string }>;
}

export function projectManifest(): ApolloManifest {
  const dir = PROJECT_MANIFEST_SOURCES.operations;
  const definitions = fs
    .readdirSync(dir)
    .filter((file) => file.endsWith('.graphql'))
    .sort()
    .flatMap((file) => parse(fs.readFileSync(path.join(dir, file), 'utf8')).definitions);
  const fragments = new Map(
    definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((fragment) => [fragment.name.value, fragment]),
  );
  const operations = definitions.filter(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  const explorer = parse(EXPLORER_DEFAULT_QUERY).definitions[0] as OperationDefinitionNode;
  return {
    format: 'apollo-persisted-query-manifest',
    version: 1,
    operations: [
      entry(explorer, EXPLORER_DEFAULT_QUERY),
      entry(explorer, README_TITLE_PAGE_QUERY),
      ...operations.map((operation) =>
        entry(
          operation,
          print({ kind: Kind.DOCUMENT, definitions: [operation, ...usedBy(operation, fragments)] }),
        ),
      ),
    ],
  };
}

/** The manifest as written to the file. */
export function printManifest(manifest: ApolloManifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

function entry(operation: OperationDefinitionNode, body: string) {
  return {
    id: createHash('sha256').update(body, 'utf8').digest('hex'),
    name: operation.name?.value ?? '',
    type: operation.operation,
    body,
  };
}

/** The fragments a definition spreads, then theirs, each once, in the order first spread. */
function usedBy(
  definition: DefinitionNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  found = new Map<string, FragmentDefinitionNode>(),
): FragmentDefinitionNode[] {
  const direct: FragmentDefinitionNode[] = [];
  visit(definition, {
    FragmentSpread(spread) {
      const fragment = fragments.get(spread.name.value);
      if (!fragment) throw new Error(`Unknown fragment ${spread.name.value} in test/operations`);
      if (!found.has(fragment.name.value)) {
        found.set(fragment.name.value, fragment);
        direct.push(fragment);
      }
    },
  });
  for (const fragment of direct) usedBy(fragment, fragments, found);
  return [...found.values()];
}
