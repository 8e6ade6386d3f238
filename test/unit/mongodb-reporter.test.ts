import MongoDbReporter from '../reporters/mongodb-reporter';
import { MONGODB_SUITE } from '../helpers/mongo';

/**
 * The reporter that says how many tests ran against MongoDB, and makes CI
 * (TEST_MONGODB_REQUIRED=1) fail when none did.
 */
const result = (title: string, status: string) => ({ ancestorTitles: [title, 'inner'], status });

const run = (tests: Array<{ ancestorTitles: string[]; status: string }>) => ({
  testResults: [{ testResults: tests }],
});

function report(
  env: { TEST_MONGODB_URI?: string; TEST_MONGODB_REQUIRED?: string },
  tests: Array<{ ancestorTitles: string[]; status: string }>,
): { output: string; error: Error | undefined } {
  const saved = { ...process.env };
  const written: string[] = [];
  const capture = (chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  };
  const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(capture);
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(capture);
  try {
    delete process.env.TEST_MONGODB_URI;
    delete process.env.TEST_MONGODB_REQUIRED;
    Object.assign(process.env, env);
    const reporter = new MongoDbReporter();
    reporter.onRunComplete(undefined, run(tests));
    return { output: written.join(''), error: reporter.getLastError() };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
    process.env = saved;
  }
}

const mongo = `${MONGODB_SUITE}store contract`;

describe('MongoDB test reporter', () => {
  it('counts the tests that ran (passed or failed) in MongoDB blocks only', () => {
    const { output, error } = report({ TEST_MONGODB_URI: 'mongodb://127.0.0.1:27111' }, [
      result(mongo, 'passed'),
      result(mongo, 'passed'),
      result(mongo, 'failed'),
      result(mongo, 'pending'),
      result('Store contract: sqlite', 'passed'),
      result('MongoStore without a server', 'passed'),
    ]);
    expect(output).toContain('MongoDB: 3 tests ran against TEST_MONGODB_URI (1 failed), 1 skipped');
    expect(error).toBeUndefined();
  });

  it('reports MongoDB as skipped without TEST_MONGODB_URI, and that is no failure by default', () => {
    const { output, error } = report({}, [result(mongo, 'pending'), result('other', 'passed')]);
    expect(output).toContain('MongoDB: skipped, TEST_MONGODB_URI unset (1 MongoDB tests not run)');
    expect(error).toBeUndefined();
  });

  it('fails the run when MongoDB is required and no test ran against it', () => {
    const unset = report({ TEST_MONGODB_REQUIRED: '1' }, [result(mongo, 'pending')]);
    expect(unset.error?.message).toMatch(/TEST_MONGODB_URI is not set/);
    const none = report(
      { TEST_MONGODB_REQUIRED: '1', TEST_MONGODB_URI: 'mongodb://127.0.0.1:27111' },
      [result('other', 'passed')],
    );
    expect(none.error?.message).toMatch(/no test ran against TEST_MONGODB_URI/);
    const ran = report(
      { TEST_MONGODB_REQUIRED: '1', TEST_MONGODB_URI: 'mongodb://127.0.0.1:27111' },
      [result(mongo, 'passed')],
    );
    expect(ran.output).toContain('MongoDB: 1 test ran against TEST_MONGODB_URI');
    expect(ran.error).toBeUndefined();
  });
});
