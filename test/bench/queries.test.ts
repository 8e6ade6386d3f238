import fs from 'node:fs';
import path from 'node:path';
import { TITLE_PAGE_QUERY } from '../../scripts/bench/queries';

/** The README's "A title page" GraphQL block, as a reader copies it. */
function readmeTitlePageQuery(): string {
  const readme = fs.readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## A title page'));
  const block = /```graphql\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error('README.md has no graphql block under "## A title page"');
  return block[1];
}

describe('bench queries', () => {
  it("measures the README's title page query, verbatim", () => {
    expect(TITLE_PAGE_QUERY).toBe(readmeTitlePageQuery());
  });
});
