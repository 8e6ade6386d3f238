import net from 'node:net';
import type { Request } from 'express';

/**
 * The client's address for the rate limit. Express walks X-Forwarded-For back
 * through the proxies TRUST_PROXY names, but it takes any string there as an
 * address, so a client could send a fresh made-up "address" per request.
 * Here only IP addresses count: the walk stops at the first entry that is not
 * one, and the client is the last address before it (the hop that forwarded
 * the bad entry). Without TRUST_PROXY it is the socket's peer.
 */
export function clientAddress(req: Request): string {
  // Closest first: the socket peer, then X-Forwarded-For from right to left,
  // as far as the trusted proxies go (req.ips lists it furthest first).
  const chain = [req.socket.remoteAddress ?? 'unknown', ...[...req.ips].reverse()];
  let client = chain[0];
  for (const address of chain.slice(1)) {
    if (net.isIP(address) === 0) break;
    client = address;
  }
  return client;
}
