import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

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

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/**
 * Starts `node dist/src/main.js` on 127.0.0.1:port with `env` (on top of PATH
 * only: nothing leaks in from the test's environment) and resolves once
 * /readyz answers 200.
 */
export async function startServer(
  port: number,
  env: Record<string, string>,
  readyWithinMs = 15_000,
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
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const deadline = Date.now() + readyWithinMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) return child;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`server did not become ready within ${readyWithinMs} ms`);
}

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
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 15_000);
  await exited(child);
  clearTimeout(timer);
  return { code: child.exitCode, stdout, stderr };
}
