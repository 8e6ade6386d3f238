import 'reflect-metadata';
import fs from 'node:fs';
import {
  printReelcheckSchema,
  printReelcheckSubgraph,
  SCHEMA_FILE,
  SUBGRAPH_FILE,
} from '../src/graphql/schema/build';

/**
 * `npm run schema:emit`: writes the committed SDL files from the code-first
 * schema: the public API (schema/schema.graphql) and the federation subgraph
 * (schema/subgraph.graphql). A test fails while either is stale.
 */
async function main(): Promise<void> {
  fs.writeFileSync(SCHEMA_FILE, await printReelcheckSchema());
  fs.writeFileSync(SUBGRAPH_FILE, await printReelcheckSubgraph());
  console.log(`wrote ${SCHEMA_FILE} and ${SUBGRAPH_FILE}`);
}

void main();
