import type http from 'node:http';
import { writeJson } from './respond';

const READY_PING_TIMEOUT_MS = 2000;

/** What readiness asks of the store: its kind (named in the answer) and a ping. */
export interface PingableStore {
  readonly kind: string;
  ping(): Promise<unknown>;
}

/** GET /healthz: the process answers (a liveness probe restarts it when it does not). */
export function healthz(res: http.ServerResponse): void {
  writeJson(res, 200, { status: 'ok' });
}

/**
 * GET /readyz: whether to send traffic here. 503 `starting` until the store
 * is ready and seeded (StoreBootstrap), 503 `unavailable` when it does not
 * answer a ping within 2 s, else 200 `ready`; each names the store's kind.
 */
export async function readyz(
  res: http.ServerResponse,
  bootstrap: { readonly ready: boolean },
  store: PingableStore,
): Promise<void> {
  if (!bootstrap.ready) {
    writeJson(res, 503, { status: 'starting', store: store.kind });
    return;
  }
  try {
    await withTimeout(store.ping(), READY_PING_TIMEOUT_MS);
    writeJson(res, 200, { status: 'ready', store: store.kind });
  } catch {
    writeJson(res, 503, { status: 'unavailable', store: store.kind });
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
