/**
 * Says how many tests ran against MongoDB, so a green run cannot hide that the
 * MongoDB adapter was never exercised. MongoDB tests are those in describe
 * blocks whose title starts with SUITE (describeMongo in test/helpers/mongo.ts).
 *
 * Prints one line after the run:
 *   MongoDB: N tests ran against TEST_MONGODB_URI
 *   MongoDB: skipped, TEST_MONGODB_URI unset
 * With TEST_MONGODB_REQUIRED=1 (CI sets it) a run in which no MongoDB test ran
 * fails, whatever else passed.
 */
const SUITE = 'MongoDB: '; // keep in step with MONGODB_SUITE in test/helpers/mongo.ts

class MongoDbReporter {
  constructor() {
    this.error = undefined;
  }

  /** Counts, from the finished run, the MongoDB tests that ran (passed or failed) and were skipped. */
  onRunComplete(_contexts, results) {
    let ran = 0;
    let failed = 0;
    let skipped = 0;
    for (const file of results.testResults) {
      for (const test of file.testResults) {
        if (!(test.ancestorTitles[0] ?? '').startsWith(SUITE)) continue;
        if (test.status === 'passed' || test.status === 'failed') ran++;
        else skipped++;
        if (test.status === 'failed') failed++;
      }
    }
    const uriSet = Boolean(process.env.TEST_MONGODB_URI?.trim());
    const line = uriSet
      ? `MongoDB: ${ran} ${ran === 1 ? 'test' : 'tests'} ran against TEST_MONGODB_URI` +
        (failed > 0 ? ` (${failed} failed)` : '') +
        (skipped > 0 ? `, ${skipped} skipped` : '')
      : 'MongoDB: skipped, TEST_MONGODB_URI unset' +
        (skipped > 0 ? ` (${skipped} MongoDB tests not run)` : '');
    process.stdout.write(`\n${line}\n`);

    if (process.env.TEST_MONGODB_REQUIRED === '1' && ran === 0) {
      this.error = new Error(
        uriSet
          ? 'TEST_MONGODB_REQUIRED=1 but no test ran against TEST_MONGODB_URI'
          : 'TEST_MONGODB_REQUIRED=1 but TEST_MONGODB_URI is not set: MongoDB tests must run',
      );
      process.stderr.write(`${this.error.message}\n`);
    }
  }

  /** Jest fails the run when a reporter has an error. */
  getLastError() {
    return this.error;
  }
}

module.exports = MongoDbReporter;
