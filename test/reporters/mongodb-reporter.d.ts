/** Types for mongodb-reporter.js (a Jest reporter must be plain JavaScript), for its unit test. */
declare class MongoDbReporter {
  onRunComplete(
    contexts: unknown,
    results: {
      testResults: Array<{ testResults: Array<{ ancestorTitles: string[]; status: string }> }>;
    },
  ): void;
  getLastError(): Error | undefined;
}
export = MongoDbReporter;
