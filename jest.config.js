// SWC transpiles tests fast, but TypeGraphQL reads parameter and property types
// from decorator metadata: legacy decorators + decoratorMetadata keep it.
/** @type {import('jest').Config} */
module.exports = {
  // Node, plus: temp dirs made with tempDir() are removed when their test file is done.
  testEnvironment: '<rootDir>/test/helpers/temp-dir-environment.js',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  setupFiles: ['reflect-metadata'],
  // Stops what a failed or timed-out setup left running, so Jest exits by itself.
  setupFilesAfterEnv: ['<rootDir>/test/helpers/after-each-file.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2022',
        },
        module: { type: 'commonjs' },
      },
    ],
  },
  // Per test and per hook: a test that takes 20 s idle still passes on a machine five times
  // slower (a busy CI host, other suites beside it), and a hung one still fails.
  testTimeout: 120_000,
  // Two files at a time, whatever the cores: most of a file's time is waiting on servers, stores and
  // sockets it started, so two overlap well on these 2-core machines (Jest's default there is one):
  // 331 s against 589 s for the whole suite, 2026-12-07.
  maxWorkers: 2,
  // The default output, plus one line saying how many tests ran against MongoDB.
  reporters: ['default', '<rootDir>/test/reporters/mongodb-reporter.js'],
};
