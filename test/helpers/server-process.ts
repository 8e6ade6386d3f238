import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { awaitAtFileEnd, stopAtFileEnd } from './leftovers';

/**
 * The built server (dist/, exactly what `npm start` runs) as a child process,
 * for tests that must kill it (kill -9) or run several processes at once.
 */
export const ROOT = path.resolve(__dirname, '../..');

/** Builds dist/ with tsc (it keeps decorator metadata); incremental, so cheap when current. */
export function buildServer(): void {
  execFileSync(
    process.execPath,
    [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: ROOT,
      stdio: 'inherit',
    },
  );
}

/** A port nothing listens on now, for a server the test starts next. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** How long a server process may take to become ready: generous, for a machine under load. */
const READY_WITHIN_MS = 60_000;

/**
 * Starts `node dist/src/main.js` on 127.0.0.1:port with `env` (on top of PATH
 * only: nothing leaks in from the test's environment) and resolves once
 * /readyz answers 200. A server that exits or is not ready in time rejects
 * with its stderr; one still running when the test file ends is stopped then.
 */
export function startServer(
  port: number,
  env: Record<string, string>,
  readyWithinMs = READY_WITHIN_MS,
): Promise<ChildProcess> {
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/src/main.js')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  stopAtFileEnd(() => stopChild(child));
  // Kept until ready, for the error; after that passed on, as the test's own output.
  let stderr = '';
  let ready = false;
  child.stderr!.on('data', (chunk: Buffer) => {
    if (ready) process.stderr.write(chunk);
    else stderr += chunk;
  });
  return awaitAtFileEnd(
    (async () => {
      const deadline = Date.now() + readyWithinMs;
      while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
        if (await answersReady(port)) {
          ready = true;
          if (stderr) process.stderr.write(stderr);
          return child;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const exitedEarly = child.exitCode !== null || child.signalCode !== null;
      await stopChild(child);
      throw new Error(
        (exitedEarly
          ? `server on port ${port} exited (${child.exitCode ?? child.signalCode}) before it was ready`
          : `server on port ${port} was not ready within ${readyWithinMs} ms`) +
          `; its stderr:\n${stderr || '(empty)'}`,
      );
    })(),
  );
}

/** True once the server's /readyz answers 200; a request that hangs counts as not ready. */
async function answersReady(port: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/readyz`, {
      signal: AbortSignal.timeout(5000),
    });
    await response.arrayBuffer(); // frees the socket
    return response.ok;
  } catch {
    return false; // not listening yet
  }
}

/** SIGTERM, then SIGKILL if it has not exited after the server's 10 s shutdown grace period. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited(child);
  clearTimeout(timer);
}

/** Resolves when the child has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

/**
 * Runs a built entry point (e.g. 'dist/src/main.js', 'dist/scripts/seed.js')
 * to its exit, with `env` on top of PATH only; resolves to its exit code and
 * output. `args` go to the script; `uid`/`gid` run it as another user (tests run as root in CI).
 * Killed after `timeoutMs` (generous by default, for a machine under load).
 */
export async function runToExit(
  entry: string,
  env: Record<string, string>,
  options: { uid?: number; gid?: number; timeoutMs?: number; args?: string[] } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [path.join(ROOT, entry), ...(options.args ?? [])], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    uid: options.uid,
    gid: options.gid,
  });
  const stop = stopAtFileEnd(() => stopChild(child));
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  // 'close', not 'exit': on a busy machine the last output can still be in the pipe at exit.
  const closed = new Promise((resolve) => child.once('close', resolve));
  await exited(child);
  await closed;
  clearTimeout(timer);
  await stop();
  return { code: child.exitCode, stdout, stderr };
}
