import { stopLeftovers } from './leftovers';

// Loaded by jest.config.js (setupFilesAfterEnv): a top-level afterAll, so it
// runs once every describe block of the file is done. Whatever a failed or
// timed-out setup left running is stopped here instead of keeping Jest alive;
// stops are idempotent, so a later top-level afterAll stopping the same is fine.
afterAll(stopLeftovers, 120_000);
