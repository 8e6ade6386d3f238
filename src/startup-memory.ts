import v8 from 'node:v8';
import vm from 'node:vm';

/**
 * Memory at rest (docs/performance.md, issue 21). Two things the start leaves
 * behind that a server at rest does not need:
 *
 * - V8's young generation grows with the start's allocations (building the
 *   schema, compiling the registered documents, seeding) to its maximum of
 *   2 × 16 MiB, and stays that size: some 25 MiB of RSS. Growth is held off
 *   during the start (a growth factor of 1) and V8's default restored once
 *   it is over, so requests get the usual young generation as they need it.
 *   The flag `--max-semi-space-size` would cap it for good, at about 20% more
 *   CPU per request.
 * - Bytecode and garbage of code that ran only at start: a few full
 *   collections once started release them (some 4 MiB).
 */
const V8_SEMI_SPACE_GROWTH_FACTOR = 2;
const SETTLING_COLLECTIONS = 4;

// On import: main.ts imports this first, so that loading the modules is held too.
v8.setFlagsFromString('--semi-space-growth-factor=1');

/** Called once the server is started (listening, store seeded): back to V8's defaults. */
export function settleAfterStart(): void {
  // A full collection on demand, without running the process with --expose-gc.
  v8.setFlagsFromString('--expose-gc');
  const collect = vm.runInNewContext('gc') as () => void;
  for (let i = 0; i < SETTLING_COLLECTIONS; i++) collect();
  v8.setFlagsFromString(`--semi-space-growth-factor=${V8_SEMI_SPACE_GROWTH_FACTOR}`);
}
