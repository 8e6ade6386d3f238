import { execFile } from 'node:child_process';
import path from 'node:path';
import { tempDir } from '../helpers/temp-dirs';

const ROOT = path.resolve(__dirname, '../..');

/**
 * Loads TypeScript sources in a plain Node process (SWC, as Jest transforms
 * them), so what the process holds in require.cache is exactly what the
 * modules require: Jest's own module registry would hide it.
 */
const CHILD = `
const fs = require('node:fs');
const swc = require('@swc/core');
require.extensions['.ts'] = (module, filename) => {
  const { code } = swc.transformSync(fs.readFileSync(filename, 'utf8'), {
    filename,
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};
require('reflect-metadata');
const [root, dataDir, modules] = process.argv.slice(1);
(async () => {
  for (const name of JSON.parse(modules)) require(root + '/' + name);
  const { openStore } = require(root + '/src/store');
  const { openRatingLimitCounters } = require(root + '/src/ratings/rate-limit');
  const silent = { debug() {}, info() {}, warn() {}, error() {} };
  const store = await openStore({ dataDir, mongo: undefined }, silent);
  await store.ping();
  openRatingLimitCounters(store, 5);
  await store.close();
  const loaded = Object.keys(require.cache).filter((file) => file.includes('/node_modules/mongodb/'));
  process.stdout.write(JSON.stringify({ kind: store.kind, mongodbFiles: loaded.length }));
})().catch((error) => {
  process.stderr.write(String(error && error.stack || error));
  process.exit(1);
});
`;

/** Runs CHILD after requiring `modules` (paths from the repository root); resolves with its report. */
function openEmbeddedIn(modules: string[]): Promise<{ kind: string; mongodbFiles: number }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['-e', CHILD, ROOT, tempDir('reelcheck-lazy-mongodb-'), JSON.stringify(modules)],
      { cwd: ROOT, timeout: 120_000 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${error.message}\n${stderr}`));
        else resolve(JSON.parse(stdout) as { kind: string; mongodbFiles: number });
      },
    );
  });
}

/**
 * Issue 21, item 9: with the embedded store the MongoDB driver is never loaded
 * (its memory at rest is the point). openStore imports the MongoDB adapter
 * only when MONGODB_URI is set; nothing else on the embedded path may import
 * `mongodb` at runtime (type-only imports are erased).
 */
describe('the embedded store does not load the MongoDB driver', () => {
  it('opening the embedded store through openStore and the rate limit loads no mongodb module', async () => {
    await expect(openEmbeddedIn([])).resolves.toEqual({ kind: 'sqlite', mongodbFiles: 0 });
  });

  it('neither does loading every module the server entry point imports', async () => {
    const modules = ['src/app', 'src/cache', 'src/config', 'src/logger', 'src/metrics', 'src/tmdb'];
    await expect(openEmbeddedIn(modules)).resolves.toEqual({ kind: 'sqlite', mongodbFiles: 0 });
  });

  it('the check can fail: the MongoDB adapter, once imported, loads the driver', async () => {
    const report = await openEmbeddedIn(['src/store/mongo/mongo-store']);
    expect(report.mongodbFiles).toBeGreaterThan(0);
  });
});
