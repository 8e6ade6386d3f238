import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { buildServer, exited, freePort, runToExit, startServer } from '../helpers/server-process';
import { tempDataDir } from '../helpers/test-app';

/**
 * The embedded store's ownership rules across real processes (the built
 * server, as `npm start` runs it): a failed start leaves nothing behind, a
 * script cannot open DATA_DIR while the server owns it, and a DATA_DIR this
 * user cannot write stops the start at once with a clear message.
 */
describe('embedded store across processes', () => {
  beforeAll(buildServer);

  it('a start that fails after opening the store (port in use) leaves nothing behind', async () => {
    const dataDir = tempDataDir('reelcheck-port-');
    const blocker = net.createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const failed = await runToExit('dist/src/main.js', {
        DATA_DIR: dataDir,
        PORT: String(port),
        HOST: '127.0.0.1',
      });
      expect(failed.code).toBe(1);
      expect(failed.stderr).toMatch(/Reelcheck failed to start: .*EADDRINUSE/);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
    expect(fs.readdirSync(dataDir).sort()).toEqual(['reelcheck.sqlite', 'store-id.json']); // closed: no WAL, no lock file

    const server = await startServer(await freePort(), { DATA_DIR: dataDir });
    server.kill('SIGTERM');
    await exited(server);
    expect(server.exitCode).toBe(0);
  });

  it('refuses scripts on DATA_DIR while the server owns it', async () => {
    const dataDir = tempDataDir('reelcheck-busy-');
    const server = await startServer(await freePort(), { DATA_DIR: dataDir });
    try {
      for (const script of [
        'dist/scripts/seed.js',
        'dist/scripts/store-repair.js',
        'dist/scripts/catalog-export.js',
        'dist/scripts/catalog-import.js',
      ]) {
        const args = script.includes('catalog-import') ? ['src/seed/catalog.json'] : [];
        const refused = await runToExit(script, { DATA_DIR: dataDir }, { args });
        expect(refused.code).toBe(1);
        expect(refused.stderr).toContain(
          `DATA_DIR ${dataDir} is in use by another Reelcheck process`,
        );
      }
    } finally {
      server.kill('SIGTERM');
      await exited(server);
    }
    const seeded = await runToExit('dist/scripts/seed.js', { DATA_DIR: dataDir });
    // The server seeded it already: the seed script finds nothing to change.
    expect(seeded.stdout).toContain('seeded sqlite store: no changes');
    expect(seeded.code).toBe(0);
  });

  it('stops at once, naming DATA_DIR and the reason, when this user cannot write it', async () => {
    const dataDir = path.join(tempDataDir('reelcheck-ro-'), 'read-only');
    fs.mkdirSync(dataDir, { mode: 0o555 });
    fs.chmodSync(dataDir, 0o555);
    // Root may write anywhere: run the server as "nobody" then (CI runs as root).
    const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    fs.chmodSync(path.dirname(dataDir), 0o755);
    const failed = await runToExit(
      'dist/src/main.js',
      { DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1' },
      asUser,
    );
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(
      `DATA_DIR ${dataDir} cannot hold the embedded store: files cannot be written there (EACCES`,
    );
  });
});
