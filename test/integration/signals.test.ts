import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { stopAtFileEnd } from '../helpers/leftovers';
import { freePort, ROOT, stopChild } from '../helpers/server-process';
import { tempDir } from '../helpers/temp-dirs';

/**
 * `npm start` as systemd, Docker and process managers run it: they signal
 * npm's PID, never node's. The server must stop with it (within main.ts's
 * shutdown grace period), freeing the port and the data-dir lock; a server
 * left running behind npm would hold both and block the next start.
 */

// Four `npm start`s, the first with its prestart build, on a machine that may be busy.
jest.setTimeout(180_000);

interface NpmStart {
  npm: ChildProcess;
  /** The server's own PID, from its "listening" log line: npm's child, not npm. */
  serverPid: number;
  /** Everything npm and the server wrote so far. */
  output(): string;
}

/**
 * Runs `npm start` and resolves once the server logs that it listens. Unless `build`,
 * without prestart's build (--ignore-scripts skips pre-scripts only): npm, its script
 * shell and its signal forwarding are the same, and the build is done once per file.
 */
function npmStart(port: number, dataDir: string, build = false): Promise<NpmStart> {
  const npm = spawn('npm', build ? ['start'] : ['start', '--ignore-scripts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      npm_config_update_notifier: 'false',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const stopServer = { pid: 0 };
  // Whatever the test's outcome: npm, and the server should it outlive npm.
  stopAtFileEnd(async () => {
    await stopChild(npm);
    if (stopServer.pid && isAlive(stopServer.pid)) process.kill(stopServer.pid, 'SIGKILL');
  });
  return new Promise((resolve, reject) => {
    npm.stderr!.on('data', (chunk) => (output += chunk));
    npm.stdout!.on('data', (chunk) => {
      output += chunk;
      const listening = output
        .split('\n')
        .map(parseLogLine)
        .find((record) => record?.msg === 'Reelcheck is listening');
      if (listening) {
        stopServer.pid = listening.pid;
        resolve({ npm, serverPid: listening.pid, output: () => output });
      }
    });
    npm.once('exit', (code, signal) =>
      reject(new Error(`npm start exited (${code ?? signal}) before listening:\n${output}`)),
    );
  });
}

function parseLogLine(line: string): { msg?: string; pid: number } | undefined {
  if (!line.startsWith('{')) return undefined; // npm's banner, the build's output
  try {
    return JSON.parse(line) as { msg?: string; pid: number };
  } catch {
    return undefined; // a line still being written
  }
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode });
    } else child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls /readyz until 200 (it turns 200 once the store is seeded); bounded by the test timeout. */
async function readyzStatus(port: number): Promise<number> {
  for (;;) {
    const { status } = await fetch(`http://127.0.0.1:${port}/readyz`);
    if (status === 200) return status;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** True if a new server can listen on the port: nothing holds it. */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

describe('npm start, signalled by its PID', () => {
  let built = false;
  it.each(['SIGTERM', 'SIGINT'] as const)(
    '%s to npm stops the server gracefully, frees the port and releases the data dir',
    async (signal) => {
      const dataDir = tempDir();
      const port = await freePort();
      const first = await npmStart(port, dataDir, !built);
      built = true;
      expect(first.serverPid).not.toBe(first.npm.pid); // npm stays in between, as in production

      first.npm.kill(signal);
      const npmExit = await exitOf(first.npm);

      expect(isAlive(first.serverPid)).toBe(false);
      // Exit code 0: the server finished its graceful stop (past the grace period main.ts exits 1).
      expect(npmExit).toEqual({ code: 0, signal: null });
      expect(first.output()).toContain('shutting down: finishing in-flight requests');
      expect(await portIsFree(port)).toBe(true);

      // The lock on DATA_DIR is released: a second server opens it (it listens only after) and serves.
      const second = await npmStart(port, dataDir);
      expect(await readyzStatus(port)).toBe(200);
      second.npm.kill('SIGTERM');
      expect(await exitOf(second.npm)).toEqual({ code: 0, signal: null });
      expect(isAlive(second.serverPid)).toBe(false);
    },
  );
});
