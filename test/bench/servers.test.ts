import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { fetchOk } from '../../scripts/bench/load';
import { measureRestMemory } from '../../scripts/bench/rest-memory';
import {
  graphqlBody,
  TITLE_PAGE_QUERY,
  TYPENAME_QUERY,
  UNREGISTERED_TITLE_PAGE_QUERY,
} from '../../scripts/bench/queries';
import {
  type ComparedServers,
  startComparedServers,
  TRUSTED_PAGE,
} from '../../scripts/bench/serving';
import { buildServer } from '../helpers/server-process';
import { tempDir } from '../helpers/temp-dirs';

/**
 * The bench's comparison only means something if bare node:http, stock
 * Apollo, Mercurius and the Reelcheck processes answer with the same bytes; a
 * README query the peers' SDL cannot serve, or data they serve differently,
 * must stop the bench. These are the real processes the bench starts.
 */
describe('bench servers', () => {
  let workDir: string;
  let servers: ComparedServers | undefined;

  beforeAll(() => {
    buildServer();
    workDir = tempDir('reelcheck-bench-test-');
  });

  afterAll(async () => {
    await servers?.stopAll();
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  it("serve the README's title page with Reelcheck's exact bytes, each in its own process", async () => {
    servers = await startComparedServers(workDir);
    const { reelcheck, uncached, trusted, bare, stock, mercurius, page } = servers;
    const all = [reelcheck, uncached, trusted, bare, stock, mercurius];
    expect(new Set(all.map((server) => server.pid)).size).toBe(6);

    const body = graphqlBody(TITLE_PAGE_QUERY);
    for (const server of all) {
      expect(await fetchOk(server, body)).toBe(page);
    }
    const title = (JSON.parse(page) as { data: { title: Record<string, unknown> } }).data.title;
    expect(title.name).toBe('The Glory');
    // The page was rated before it was taken, so summaries carry real numbers.
    expect(title.accuracy).toMatchObject({ count: 3 });

    const typename = graphqlBody(TYPENAME_QUERY);
    expect(await fetchOk(stock, typename)).toBe(await fetchOk(uncached, typename));
  });

  it('serve the registered page by documentId, and the unregistered text, with the same bytes', async () => {
    const { trusted, page, trustedPageBody } = servers!;
    expect(JSON.parse(trustedPageBody)).toEqual({ documentId: `sha256:${TRUSTED_PAGE.id}` });
    expect(TRUSTED_PAGE.id).toBe(createHash('sha256').update(TITLE_PAGE_QUERY).digest('hex'));
    expect(await fetchOk(trusted, trustedPageBody)).toBe(page);
    expect(await fetchOk(trusted, graphqlBody(UNREGISTERED_TITLE_PAGE_QUERY))).toBe(page);
  });

  it("read each compared server's own RSS at rest (issue 21's row)", async () => {
    const { reelcheck, stock, mercurius } = servers!;
    const rest = await measureRestMemory({ reelcheck, stock, mercurius });
    expect(rest.limitMiB).toBe(100);
    if (process.platform !== 'linux') return;
    // A whole Node process each: at least the runtime's own ~30 MiB, and not the same reading thrice.
    for (const mib of [rest.reelcheckMiB, rest.stockMiB, rest.mercuriusMiB]) {
      expect(mib).toBeGreaterThan(30);
    }
    expect(new Set([rest.reelcheckMiB, rest.stockMiB, rest.mercuriusMiB]).size).toBe(3);
  });
});
