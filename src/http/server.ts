import http from 'node:http';
import type { Config } from '../config';

/** How often Node checks open connections against the header and request timeouts, at most. */
const MAX_TIMEOUT_CHECK_INTERVAL_MS = 1000;

/**
 * The HTTP server with limits on slow and idle clients: a client must send its
 * headers within headersTimeoutMs and the whole request within requestTimeoutMs
 * (else 408 and the connection is closed), an idle keep-alive connection is
 * closed after keepAliveTimeoutMs, and connections beyond maxConnections are
 * dropped. Node checks the timeouts periodically (every 30 s by default, which
 * let a trickling client hold a socket for over a minute); here at least every
 * second.
 */
export function createHttpServer(limits: Config['http']): http.Server {
  const server = http.createServer({
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.min(MAX_TIMEOUT_CHECK_INTERVAL_MS, limits.headersTimeoutMs),
  });
  server.maxConnections = limits.maxConnections;
  return server;
}
