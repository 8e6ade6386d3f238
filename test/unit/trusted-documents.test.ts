import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { type GraphQLSchema, print } from 'graphql';
import { PROJECT_TRUSTED_DOCUMENTS } from '../../src/config';
import { oneMutationFieldRule } from '../../src/graphql/pipeline/one-mutation-field';
import { queryLimitRules } from '../../src/graphql/pipeline/limits';
import { buildReelcheckSchema } from '../../src/graphql/schema/build';
import {
  printManifest,
  projectManifest,
} from '../../src/graphql/engine/trusted-documents/project-manifest';
import {
  TrustedDocuments,
  TrustedDocumentsError,
} from '../../src/graphql/engine/trusted-documents';
import * as generated from '../generated/graphql';
import { tempDir } from '../helpers/temp-dirs';

/**
 * Manifests as the clients' tools write them, read and checked at start: a
 * document that does not hold stops the start, naming its file and operation.
 */

let schema: GraphQLSchema;
beforeAll(async () => {
  schema = await buildReelcheckSchema();
});

const options = () => ({ validationRules: [...queryLimitRules(), oneMutationFieldRule] });
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** A manifest file in a temp dir. */
function manifestFile(name: string, content: unknown): string {
  const file = path.join(tempDir(), name);
  fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

const PAGE = 'query Page($slug: String!) { title(slug: $slug) { name } }';

describe('reading manifests', () => {
  it("reads Apollo's manifest and a map of id to text (codegen, Relay), by every id a client may send", () => {
    const apollo = manifestFile('apollo.json', {
      format: 'apollo-persisted-query-manifest',
      version: 1,
      operations: [{ id: sha256(PAGE), name: 'Page', type: 'query', body: PAGE }],
    });
    const relay = manifestFile('relay.json', { a1b2c3d4e5f6: '{ ratingScale { score } }' });
    const registry = TrustedDocuments.load([apollo, relay], schema, options());

    expect(registry.documents.map((d) => d.operations)).toEqual([['Page'], ['']]);
    for (const id of [sha256(PAGE), `sha256:${sha256(PAGE)}`]) {
      expect(registry.byId(id)?.text).toBe(PAGE);
    }
    expect(registry.byId('a1b2c3d4e5f6')?.text).toBe('{ ratingScale { score } }');
    expect(registry.withText('{ ratingScale { score } }')?.id).toBe('a1b2c3d4e5f6');
    expect(registry.byId('nope')).toBeUndefined();
  });

  it('compiles each operation once, at start', () => {
    const file = manifestFile('two.json', { one: PAGE, two: '{ ratingScale { score } }' });
    const compiled: string[] = [];
    TrustedDocuments.load([file], schema, {
      ...options(),
      compile: (document, operation) => compiled.push(operation.name?.value ?? document.id),
    });
    expect(compiled.sort()).toEqual(['Page', 'two']);
  });

  it.each([
    [
      'a document that fails validation',
      { 'bad-one': '{ title(slug: "the-glory") { nope } }' },
      /bad\.json, operation bad-one cannot be registered: Cannot query field "nope"/,
    ],
    [
      'a document that does not parse',
      { broken: 'query Broken { title(' },
      /bad\.json, operation broken cannot be registered: Syntax Error/,
    ],
    [
      'a document over the depth limit',
      {
        deep: '{ titles { edges { node { recommendations { title { recommendations { title { recommendations { title { name } } } } } } } } } }',
      },
      /operation deep cannot be registered: .*depth/i,
    ],
    [
      'a document over the cost limit',
      {
        costly:
          '{ a: titles(first: 100) { edges { node { recommendations { title { facts { text accuracy { count average } } recommendations { title { name } } } } } } } }',
      },
      /operation costly cannot be registered: its estimated cost \d+ is over the limit 20000/,
    ],
    [
      'a mutation with two fields',
      {
        twice:
          'mutation { a: rateAccuracy(input: { titleId: "x", score: 1, voterId: "v" }) { rating { id } } b: rateAccuracy(input: { titleId: "x", score: 1, voterId: "v" }) { rating { id } } }',
      },
      /operation twice cannot be registered: A mutation operation may select only one/,
    ],
    ['a map to something else than text', { id: 42 }, /bad\.json maps "id" to a non-string/],
    [
      'another format',
      { format: 'persisted-documents', version: 2 },
      /bad\.json has format "persisted-documents" version 2/,
    ],
    ['a JSON array', [PAGE], /bad\.json is not a JSON object/],
  ])('refuses %s, naming the file and the operation', (_what, content, message) => {
    const file = manifestFile('bad.json', content);
    let thrown: unknown;
    try {
      TrustedDocuments.load([file], schema, options());
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TrustedDocumentsError);
    expect((thrown as Error).message).toMatch(message);
    expect((thrown as Error).message).toContain(file);
  });

  it('refuses a file it cannot read or parse', () => {
    const missing = path.join(tempDir(), 'missing.json');
    expect(() => TrustedDocuments.load([missing], schema, options())).toThrow(
      `Trusted documents: cannot read ${missing} (ENOENT)`,
    );
    const notJson = manifestFile('not.json', '{ nope');
    expect(() => TrustedDocuments.load([notJson], schema, options())).toThrow(
      new RegExp(`${notJson} is not JSON`),
    );
  });

  it('refuses one id for two documents, and takes one document under two ids', () => {
    const first = manifestFile('first.json', { same: PAGE });
    const second = manifestFile('second.json', { same: '{ ratingScale { score } }' });
    expect(() => TrustedDocuments.load([first, second], schema, options())).toThrow(
      /the id "same" names two different documents \(.*first\.json, operation Page; .*second\.json/,
    );
    const alias = manifestFile('alias.json', { other: PAGE });
    const registry = TrustedDocuments.load([first, alias], schema, options());
    expect(registry.byId('same')?.document).toBe(registry.byId('other')?.document);
  });
});

describe("the project's manifest", () => {
  it('is the committed file (npm run trusted-documents writes it)', () => {
    expect(fs.readFileSync(PROJECT_TRUSTED_DOCUMENTS, 'utf8')).toBe(
      printManifest(projectManifest()),
    );
  });

  it('registers every typed document the tests send, as graphql-request prints it', () => {
    const registry = TrustedDocuments.load([PROJECT_TRUSTED_DOCUMENTS], schema, options());
    const documents = Object.entries(generated).filter(([name]) => name.endsWith('Document'));
    expect(documents.length).toBeGreaterThan(20);
    for (const [name, document] of documents) {
      const text = print(document as Parameters<typeof print>[0]);
      expect({ name, registered: registry.withText(text) !== undefined }).toEqual({
        name,
        registered: true,
      });
    }
  });
});
