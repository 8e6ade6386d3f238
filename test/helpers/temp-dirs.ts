import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Kept on the test file's global; test/helpers/temp-dir-environment.js removes them. */
const REGISTRY = '__reelcheckTempDirs';

/**
 * A new empty directory under the OS temp dir (`<prefix>XXXXXX`), removed
 * with everything in it when the test file is done (temp-dir-environment.js,
 * after its last afterAll, pass or fail). Every test makes its temp dirs here.
 */
export function tempDir(prefix = 'reelcheck-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const registry = globalThis as { [REGISTRY]?: string[] };
  (registry[REGISTRY] ??= []).push(dir);
  return dir;
}
