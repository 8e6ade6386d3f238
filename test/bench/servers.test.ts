import fs from 'node:fs';
import { fetchOk } from '../../scripts/bench/load';
import { graphqlBody, TITLE_PAGE_QUERY, TYPENAME_QUERY } from '../../scripts/bench/queries';
import { type ComparedServers, startComparedServers } from '../../scripts/bench/serving';
import { buildServer } from '../helpers/server-process';
import { tempDir } from '../helpers/temp-dirs';

/**
 * The bench's comparison only means something if bare node:http, stock
 * Apollo and both Reelcheck processes answer with the same bytes; a README
 * query the stock SDL cannot serve, or data it serves differently, must
 * stop the bench. These are the real processes the bench starts.
 */
describe('bench servers', () => {
  let workDir: string;
  let servers: ComparedServers | undefined;

  beforeAll(() => {
    buildServer();
    workDir = tempDir('reelcheck-bench-test-');
  }, 120_000);

  afterAll(async () => {
    await servers?.stopAll();
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  it("serve the README's title page with Reelcheck's exact bytes, each in its own process", async () => {
    servers = await startComparedServers(workDir);
    const { reelcheck, uncached, bare, stock, page } = servers;
    expect(new Set([reelcheck.pid, uncached.pid, bare.pid, stock.pid]).size).toBe(4);

    const body = graphqlBody(TITLE_PAGE_QUERY);
    for (const server of [reelcheck, uncached, bare, stock]) {
      expect(await fetchOk(server, body)).toBe(page);
    }
    const title = (JSON.parse(page) as { data: { title: Record<string, unknown> } }).data.title;
    expect(title.name).toBe('The Glory');
    // The page was rated before it was taken, so summaries carry real numbers.
    expect(title.accuracy).toMatchObject({ count: 3 });

    const typename = graphqlBody(TYPENAME_QUERY);
    expect(await fetchOk(stock, typename)).toBe(await fetchOk(uncached, typename));
  }, 60_000);
});
