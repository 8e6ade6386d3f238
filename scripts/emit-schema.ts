import 'reflect-metadata';
import fs from 'node:fs';
import { printReelcheckSchema, SCHEMA_FILE } from '../src/graphql/schema';

/** Writes schema/schema.graphql from the code-first schema (`npm run schema:emit`). */
printReelcheckSchema().then((sdl) => {
  fs.writeFileSync(SCHEMA_FILE, sdl);
  console.log(`wrote ${SCHEMA_FILE}`);
});
