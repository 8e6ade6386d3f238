import type http from 'node:http';
import net from 'node:net';
import proxyaddr from 'proxy-addr';

/** Whether the hop at `address`, `index` hops away, is a proxy we trust (TRUST_PROXY, compiled). */
export type TrustProxy = (address: string, index: number) => boolean;

/**
 * TRUST_PROXY compiled as Express's `trust proxy` setting read it, so a
 * deployment's setting keeps its meaning: true trusts every hop, a number
 * that many hops, a string a comma-separated list of addresses, subnets or
 * proxy-addr's names (loopback, linklocal, uniquelocal); false trusts none.
 */
export function compileTrustProxy(setting: boolean | number | string): TrustProxy {
  if (setting === true) return () => true;
  if (typeof setting === 'number') return (_address, index) => index < setting;
  if (typeof setting === 'string')
    return proxyaddr.compile(setting.split(',').map((v) => v.trim()));
  return proxyaddr.compile([]);
}

/**
 * The client's address for the rate limit. proxy-addr walks X-Forwarded-For
 * back through the proxies TRUST_PROXY names, but it takes any string there
 * as an address, so a client could send a fresh made-up "address" per
 * request. Here only IP addresses count: the walk stops at the first entry
 * that is not one, and the client is the last address before it (the hop
 * that forwarded the bad entry). Without TRUST_PROXY it is the socket's peer.
 */
export function clientAddress(req: http.IncomingMessage, trust: TrustProxy): string {
  // Closest first: the socket peer, then X-Forwarded-For from right to left,
  // as far as the trusted proxies go.
  const chain = proxyaddr.all(req, trust);
  let client = chain[0] ?? 'unknown';
  for (const address of chain.slice(1)) {
    if (net.isIP(address) === 0) break;
    client = address;
  }
  return client;
}
