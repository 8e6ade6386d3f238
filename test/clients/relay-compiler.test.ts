import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { SCHEMA_FILE } from '../../src/graphql/schema/build';
import { tempDir } from '../helpers/temp-dirs';

/**
 * Relay's compiler accepts the committed schema: a @refetchable fragment on
 * Title (needs Node and Query.node) and a @connection on titles (needs the full
 * PageInfo). The control run shows the compiler does refuse a schema without node.
 */
const RELAY = require.resolve('relay-compiler/cli.js');

const SOURCE = `import { graphql } from 'react-relay';

export const titleCard = graphql\`
  fragment TitleCard_title on Title @refetchable(queryName: "TitleCardRefetchQuery") {
    name
    accuracy {
      id
      count
      verdict
    }
  }
\`;

export const titleList = graphql\`
  fragment TitleList_query on Query
  @refetchable(queryName: "TitleListPaginationQuery")
  @argumentDefinitions(
    first: { type: "Int", defaultValue: 20 }
    after: { type: "String" }
    search: { type: "String" }
  ) {
    titles(first: $first, after: $after, search: $search)
      @connection(key: "TitleList_titles", filters: ["search"]) {
      edges {
        node {
          id
          ...TitleCard_title
        }
      }
    }
  }
\`;
`;

function compile(schema: string): { status: number | null; output: string; dir: string } {
  const dir = tempDir('reelcheck-relay-');
  fs.mkdirSync(path.join(dir, 'src'));
  fs.writeFileSync(path.join(dir, 'schema.graphql'), schema);
  fs.writeFileSync(path.join(dir, 'src', 'Titles.ts'), SOURCE);
  fs.writeFileSync(
    path.join(dir, 'relay.config.json'),
    JSON.stringify({ src: './src', schema: './schema.graphql', language: 'typescript' }),
  );
  const run = spawnSync(process.execPath, [RELAY], { cwd: dir, encoding: 'utf8' });
  return { status: run.status, output: `${run.stdout}${run.stderr}`, dir };
}

describe('relay-compiler', () => {
  it('compiles a @refetchable fragment on Title and a @connection on titles', () => {
    const { status, output, dir } = compile(fs.readFileSync(SCHEMA_FILE, 'utf8'));
    expect({ status, output }).toEqual({ status: 0, output: expect.any(String) });
    const generated = path.join(dir, 'src', '__generated__');
    const refetch = fs.readFileSync(
      path.join(generated, 'TitleCardRefetchQuery.graphql.ts'),
      'utf8',
    );
    expect(refetch).toContain('"name": "node"');
    const pagination = fs.readFileSync(
      path.join(generated, 'TitleListPaginationQuery.graphql.ts'),
      'utf8',
    );
    expect(pagination).toContain('"name": "pageInfo"');
  });

  it('(control) refuses @refetchable when the schema has no Query.node', () => {
    const withoutNode = fs
      .readFileSync(SCHEMA_FILE, 'utf8')
      .replace(/^ {2}"""\n[^"]*"""\n {2}node\(\n[\s\S]*?\): Node\n\n/m, '');
    expect(withoutNode).not.toMatch(/^ {2}node\(/m);
    const { status, output } = compile(withoutNode);
    expect(status).not.toBe(0);
    expect(output).toMatch(/@refetchable/);
    expect(output).toMatch(/node/);
  });
});
