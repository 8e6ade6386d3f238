import { type ChildProcess, fork, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

/**
 * The servers under test, each in a child process of its own so that CPU time
 * and memory read from /proc are that server's alone:
 * - Reelcheck: the built server, `node dist/src/main.js`, exactly what
 *   `npm start` runs (after its build), configured by environment only;
 * - bare: `node:http` writing fixed bytes (bare-server.ts);
 * - stock: a stock Apollo Server with a hand-written SDL (stock-server.ts);
 * - mercurius: Mercurius on Fastify with graphql-jit, the same SDL (mercurius-server.ts).
 * All listen on 127.0.0.1, port 0 (the OS picks a free one).
 */

/** The package root: the first folder up with a package.json (from scripts/ or dist/scripts/). */
export const ROOT = (() => {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${__dirname}`);
    dir = path.dirname(dir);
  }
  return dir;
})();

/** Where the built bench servers are (tests run this module from source, the bench from dist). */
export const BUILT_BENCH = path.join(ROOT, 'dist/scripts/bench');

export interface ServerProcess {
  name: string;
  /** Base URL, e.g. http://127.0.0.1:40123 (GraphQL at /graphql). */
  url: string;
  pid: number;
  /** Ends the process (SIGTERM, then SIGKILL after 10 s); resolves once it has exited. */
  stop(): Promise<void>;
}

export interface ReelcheckProcess extends ServerProcess {
  /** From spawning the process to the first /readyz 200. */
  readyMs: number;
}

const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 10_000;

/**
 * Every server child still running. If the bench itself ends early (Ctrl-C,
 * a crash), they are killed with it rather than left running.
 */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => process.exit(130));
}

/** Registers a started child until it exits. */
function track(child: ChildProcess): ChildProcess {
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/**
 * Reelcheck as a process: the built entry with `env` on top of PATH (nothing
 * else leaks in from the bench's environment), NODE_ENV=production as
 * deployed, LOG_LEVEL left at its default. The port comes from its
 * "Reelcheck is listening" log line; it counts as ready at its first /readyz 200.
 * `entry`: another built entry point that logs the same line (durable-server.js).
 */
export async function startReelcheck(
  name: string,
  env: Record<string, string>,
  entry = 'dist/src/main.js',
): Promise<ReelcheckProcess> {
  const spawnedAt = process.hrtime.bigint();
  const child = track(
    spawn(process.execPath, [path.resolve(ROOT, entry)], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        HOST: '127.0.0.1',
        PORT: '0',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  const output = capture(child);
  try {
    const url = await output.listeningUrl;
    await waitUntilReady(url, child);
    const readyMs = Number(process.hrtime.bigint() - spawnedAt) / 1e6;
    return { name, url, pid: child.pid!, readyMs, stop: () => stop(child) };
  } catch (error) {
    await stop(child);
    throw new Error(`${name} did not start: ${(error as Error).message}\n${output.tail()}`, {
      cause: error,
    });
  }
}

/**
 * A built bench server of this folder (bare-server.js, stock-server.js,
 * mercurius-server.js) as a
 * forked process; it reports its port over IPC once it listens.
 */
export async function startBenchServer(
  name: string,
  entry: 'bare-server' | 'stock-server' | 'mercurius-server',
  env: Record<string, string>,
): Promise<ServerProcess> {
  const child = track(
    fork(path.join(BUILT_BENCH, `${entry}.js`), [], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, NODE_ENV: 'production', ...env },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    }),
  );
  const output = capture(child);
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.once('message', (message) => resolve((message as { port: number }).port));
      child.once('exit', (code) => reject(new Error(`exited with code ${code}`)));
    });
    return { name, url: `http://127.0.0.1:${port}`, pid: child.pid!, stop: () => stop(child) };
  } catch (error) {
    await stop(child);
    throw new Error(`${name} did not start: ${(error as Error).message}\n${output.tail()}`, {
      cause: error,
    });
  }
}

/**
 * Waits for servers starting together; if any fails, stops those that did
 * start and throws the first failure.
 */
export async function startedTogether<T extends ServerProcess[]>(starts: {
  [K in keyof T]: Promise<T[K]>;
}): Promise<T> {
  const settled = await Promise.allSettled(starts);
  const failed = settled.find((result) => result.status === 'rejected');
  if (!failed)
    return settled.map((result) => (result as PromiseFulfilledResult<T[number]>).value) as T;
  await stopAll(
    settled.map((result) => (result.status === 'fulfilled' ? result.value : undefined)),
  );
  throw failed.reason;
}

/** Stops every server given, in parallel; never throws (used in finally blocks). */
export async function stopAll(servers: ReadonlyArray<ServerProcess | undefined>): Promise<void> {
  await Promise.allSettled(servers.map((server) => server?.stop()));
}

/**
 * Reads a child's output: stdout lines are searched for Reelcheck's
 * "listening" log line (then stdout is drained unread, so the child never
 * blocks on a full pipe); the last lines are kept for error messages.
 */
function capture(child: ChildProcess): { listeningUrl: Promise<string>; tail(): string } {
  const recent: string[] = [];
  const keep = (line: string) => {
    recent.push(line);
    if (recent.length > 20) recent.shift();
  };
  if (child.stderr) readline.createInterface({ input: child.stderr }).on('line', keep);
  const listeningUrl = new Promise<string>((resolve, reject) => {
    child.once('exit', (code, signal) => reject(new Error(`exited (${signal ?? code})`)));
    if (!child.stdout) return;
    const timer = setTimeout(
      () => reject(new Error(`no "Reelcheck is listening" log line within ${READY_TIMEOUT_MS} ms`)),
      READY_TIMEOUT_MS,
    );
    const stdout = child.stdout;
    const lines = readline.createInterface({ input: stdout });
    lines.on('line', (line) => {
      const url = listeningUrlOf(line);
      if (!url) return keep(line);
      clearTimeout(timer);
      resolve(url);
      // From here on (one info line per operation) only drained, not read: the
      // bench shares the machine with the server and must not spend CPU on its log.
      lines.close();
      stdout.resume();
    });
  });
  listeningUrl.catch(() => undefined); // bench servers report over IPC instead
  return { listeningUrl, tail: () => recent.join('\n') };
}

/** The base URL in Reelcheck's "Reelcheck is listening" JSON log line, else null. */
export function listeningUrlOf(line: string): string | null {
  if (!line.includes('Reelcheck is listening')) return null;
  try {
    const url = (JSON.parse(line) as { url?: unknown }).url;
    return typeof url === 'string' ? url.replace(/\/graphql$/, '') : null;
  } catch {
    return null;
  }
}

/** Polls /readyz every 10 ms until it answers 200. */
async function waitUntilReady(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error('exited');
    try {
      if ((await fetch(`${url}/readyz`)).ok) return;
    } catch {
      // not answering yet
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`/readyz was not 200 within ${READY_TIMEOUT_MS / 1000} s`);
}

/** SIGTERM, SIGKILL after the grace period; resolves once the process has exited. */
function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve();
      return;
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
