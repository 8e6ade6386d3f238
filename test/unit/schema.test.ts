import fs from 'node:fs';
import { printReelcheckSchema, SCHEMA_FILE } from '../../src/graphql/schema';

describe('committed schema', () => {
  it('schema/schema.graphql matches the schema built from code (run `npm run schema:emit`)', async () => {
    const committed = fs.readFileSync(SCHEMA_FILE, 'utf8');
    expect(await printReelcheckSchema()).toBe(committed);
  });
});
