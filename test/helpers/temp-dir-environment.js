// @ts-check
const fs = require('node:fs');
const path = require('node:path');
const { TestEnvironment } = require('jest-environment-node');

/** Where tempDir() (test/helpers/temp-dirs.ts) lists what it made, on the test file's global. */
const REGISTRY = '__reelcheckTempDirs';

/**
 * Jest's node environment, plus: every directory a test file made with
 * tempDir() is removed when the file is done, after its last afterAll (so
 * its servers and stores are closed), whether its tests passed or not.
 */
class TempDirEnvironment extends TestEnvironment {
  async teardown() {
    const dirs = /** @type {string[] | undefined} */ (this.global[REGISTRY]) ?? [];
    for (const dir of dirs) removeTree(dir);
    await super.teardown();
  }
}

/** rm -rf, also through directories a test made read-only. */
function removeTree(dir) {
  try {
    fs.rmSync(dir, { recursive: true, force: true });
  } catch {
    makeWritable(dir);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function makeWritable(dir) {
  fs.chmodSync(dir, 0o700);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) makeWritable(path.join(dir, entry.name));
  }
}

module.exports = TempDirEnvironment;
