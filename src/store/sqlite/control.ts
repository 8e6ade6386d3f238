import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/**
 * The control channel of the process that owns a DATA_DIR: a Unix domain
 * socket, DATA_DIR/control.sock, mode 0600 (only this user can connect).
 *
 * Why a socket owned by the store: the store holds its file with
 * `locking_mode = EXCLUSIVE`, so no other process can read it while it
 * serves, and that lock is what guarantees one owner per DATA_DIR. Instead of
 * weakening the lock (NORMAL locking would let other processes read, but also
 * let a second server in), the owner itself runs the online backup when
 * asked through this socket. Only the lock holder creates the socket (after
 * taking the lock; a stale one left by a crash is replaced), and it is
 * removed on close, so "a socket that answers" means "a live owner".
 *
 * Protocol: one JSON line per connection, one JSON line back.
 *   -> {"op":"ping"}                         <- {"ok":true,"pid":123}
 *   -> {"op":"backup","to":"/abs/new/file"}  <- {"ok":true,"pages":n} | {"ok":false,"error":"..."}
 */
export const CONTROL_SOCKET = 'control.sock';

/** Longest Unix socket path Linux accepts (sun_path is 108 bytes with its NUL). */
const MAX_SOCKET_PATH = 107;

export function controlSocket(dataDir: string): string {
  return path.join(dataDir, CONTROL_SOCKET);
}

export type ControlRequest = { op: 'ping' } | { op: 'backup'; to: string };
export type ControlAnswer =
  { ok: true; pid?: number; pages?: number } | { ok: false; error: string };

export class ControlChannel {
  private constructor(
    private readonly server: net.Server,
    private readonly socketPath: string,
    /** Connections that have not sent their request yet: close() ends them. */
    private readonly idle: Set<net.Socket>,
  ) {}

  /**
   * Listens on DATA_DIR/control.sock (call only while holding the store's
   * lock). Returns null, with the reason, when the socket cannot be made
   * (path too long, filesystem without sockets): the store still serves,
   * only backups while serving are unavailable.
   */
  static async open(
    dataDir: string,
    handle: (request: ControlRequest) => Promise<ControlAnswer>,
  ): Promise<ControlChannel | { failed: string }> {
    const socketPath = controlSocket(path.resolve(dataDir));
    if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH) {
      return { failed: `the path ${socketPath} is longer than ${MAX_SOCKET_PATH} bytes` };
    }
    fs.rmSync(socketPath, { force: true }); // a crashed owner's; we hold the lock now
    const idle = new Set<net.Socket>();
    const server = net.createServer((socket) => serve(socket, handle, idle));
    // The umask makes bind() create the socket 0600 (no window with wider permissions).
    const umask = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(socketPath, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      return { failed: (error as Error).message };
    } finally {
      process.umask(umask);
    }
    fs.chmodSync(socketPath, 0o600);
    server.unref();
    return new ControlChannel(server, socketPath, idle);
  }

  /** Stops listening, ends connections that sent nothing, waits for a request being answered. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.idle) socket.destroy();
    fs.rmSync(this.socketPath, { force: true });
    await closed;
  }
}

function serve(
  socket: net.Socket,
  handle: (request: ControlRequest) => Promise<ControlAnswer>,
  idle: Set<net.Socket>,
): void {
  let buffer = '';
  idle.add(socket);
  socket.setEncoding('utf8');
  socket.setTimeout(10_000, () => socket.destroy()); // a request is one short line
  socket.on('close', () => idle.delete(socket));
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    const end = buffer.indexOf('\n');
    if (end < 0) {
      if (buffer.length > 64 * 1024) socket.destroy();
      return;
    }
    socket.removeAllListeners('data');
    socket.setTimeout(0); // a backup takes as long as it takes
    idle.delete(socket);
    let request: ControlRequest;
    try {
      request = JSON.parse(buffer.slice(0, end)) as ControlRequest;
    } catch {
      socket.end(`${JSON.stringify({ ok: false, error: 'not a JSON line' })}\n`);
      return;
    }
    handle(request).then(
      (answer) => socket.end(`${JSON.stringify(answer)}\n`),
      (error: unknown) =>
        socket.end(`${JSON.stringify({ ok: false, error: (error as Error).message })}\n`),
    );
  });
}

/**
 * Sends one request to the owner of DATA_DIR. Resolves to null when no owner
 * answers (no socket, or a stale one left by a crash: ECONNREFUSED).
 */
export async function askOwner(
  dataDir: string,
  request: ControlRequest,
): Promise<ControlAnswer | null> {
  const socketPath = controlSocket(path.resolve(dataDir));
  if (!fs.existsSync(socketPath)) return null;
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(socketPath);
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('end', () => {
      try {
        resolve(JSON.parse(answer) as ControlAnswer);
      } catch {
        reject(new Error(`the owner of ${dataDir} answered ${JSON.stringify(answer)}`));
      }
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED' || error.code === 'ENOENT') resolve(null);
      else reject(error);
    });
  });
}
