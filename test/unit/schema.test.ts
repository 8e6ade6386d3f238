import fs from 'node:fs';
import {
  printReelcheckSchema,
  printReelcheckSubgraph,
  SCHEMA_FILE,
  SUBGRAPH_FILE,
} from '../../src/graphql/schema/build';

describe('committed schema files (run `npm run schema:emit` after a schema change)', () => {
  it('schema/schema.graphql is the public schema the server serves', async () => {
    expect(await printReelcheckSchema()).toBe(fs.readFileSync(SCHEMA_FILE, 'utf8'));
  });

  it('schema/subgraph.graphql is the subgraph SDL a router composes', async () => {
    expect(await printReelcheckSubgraph()).toBe(fs.readFileSync(SUBGRAPH_FILE, 'utf8'));
  });
});
