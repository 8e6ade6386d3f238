import http from 'node:http';
import net from 'node:net';
import zlib from 'node:zlib';
import { startTestApp, type TestApp } from '../helpers/test-app';

/** Helmet's headers that only act on HTML documents. */
const HTML_ONLY_HEADERS = [
  'cross-origin-opener-policy',
  'origin-agent-cluster',
  'x-dns-prefetch-control',
  'x-download-options',
  'x-permitted-cross-domain-policies',
  'x-xss-protection',
];

/** A raw TCP connection to the app: what it received, and whether the server closed it. */
class RawClient {
  readonly socket: net.Socket;
  received = '';
  closed = false;
  private readonly closedPromise: Promise<void>;

  constructor(url: string) {
    const { hostname, port } = new URL(url);
    this.socket = net.connect({ host: hostname, port: Number(port) });
    this.socket.setEncoding('utf8');
    this.socket.on('data', (chunk: string) => (this.received += chunk));
    this.socket.on('error', () => undefined); // a reset counts as closed
    this.closedPromise = new Promise((resolve) =>
      this.socket.on('close', () => {
        this.closed = true;
        resolve();
      }),
    );
  }

  connected(): Promise<void> {
    return new Promise((resolve) => this.socket.once('connect', () => resolve()));
  }

  /** Writes `chunks` one every `intervalMs` until they run out or the server closes. */
  async trickle(chunks: string[], intervalMs: number): Promise<{ sentAll: boolean }> {
    for (const chunk of chunks) {
      if (this.closed) return { sentAll: false };
      this.socket.write(chunk);
      await sleep(intervalMs);
    }
    return { sentAll: !this.closed };
  }

  /** Resolves true when the server closes the connection within `ms`. */
  closedWithin(ms: number): Promise<boolean> {
    return Promise.race([this.closedPromise.then(() => true), sleep(ms).then(() => false)]);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Slow and greedy clients, cut by the server's own limits (short ones configured here). */
describe('HTTP limits on slow and greedy clients', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      env: {
        HTTP_HEADERS_TIMEOUT_MS: '500',
        HTTP_REQUEST_TIMEOUT_MS: '1000',
        HTTP_KEEP_ALIVE_TIMEOUT_MS: '300',
        HTTP_MAX_CONNECTIONS: '4',
      },
    });
  });
  afterAll(() => t?.stop());

  it('answers 408 and closes a connection whose headers trickle in', async () => {
    const client = new RawClient(t.url);
    const lines = [
      'GET /healthz HTTP/1.1\r\n',
      ...Array.from({ length: 40 }, (_, i) => `x-slow-${i}: 1\r\n`),
    ];
    const { sentAll } = await client.trickle(lines, 100); // 4 s if never cut
    expect(sentAll).toBe(false);
    expect(client.received).toMatch(/^HTTP\/1\.1 408 /);
    expect(client.closed).toBe(true);
  });

  it('answers 408 and closes a connection whose body trickles in', async () => {
    const client = new RawClient(t.url);
    client.socket.write(
      'POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 200\r\n\r\n',
    );
    const { sentAll } = await client.trickle(
      Array.from({ length: 200 }, () => ' '),
      50,
    ); // 10 s
    expect(sentAll).toBe(false);
    expect(client.received).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('closes an idle keep-alive connection', async () => {
    const client = new RawClient(t.url);
    client.socket.write('GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n');
    expect(await client.closedWithin(3000)).toBe(true);
    expect(client.received).toMatch(/^HTTP\/1\.1 200 /);
    // Kept alive after the answer, then closed for idleness.
    expect(client.received).not.toMatch(/connection: close/i);
  });

  it('drops connections beyond HTTP_MAX_CONNECTIONS and serves again once they close', async () => {
    const held = Array.from({ length: 4 }, () => new RawClient(t.url));
    await Promise.all(held.map((client) => client.connected()));
    const extra = new RawClient(t.url);
    expect(await extra.closedWithin(1000)).toBe(true);
    expect(extra.received).toBe('');
    held.forEach((client) => client.destroy());
    // Served again once the server has seen them close (not after a guessed delay).
    const open = () =>
      new Promise<number>((resolve, reject) =>
        t.app.httpServer.getConnections((error, count) => (error ? reject(error) : resolve(count))),
      );
    while ((await open()) > 0) await sleep(10);
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
  });

  it('refuses a declared oversized body at once, reading none of it', async () => {
    const client = new RawClient(t.url);
    client.socket.write(
      'POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 5000000\r\n\r\n',
    );
    expect(await client.closedWithin(2000)).toBe(true);
    expect(client.received).toMatch(/^HTTP\/1\.1 413 /);
    expect(client.received).toContain('PAYLOAD_TOO_LARGE');
  });

  it('refuses a streamed body as soon as it passes the limit, and closes the connection', async () => {
    const client = new RawClient(t.url);
    client.socket.write(
      'POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n',
    );
    const chunk = 'x'.repeat(16 * 1024);
    // Seven 16 kB chunks pass the 100 kB limit; the body never ends.
    const { sentAll } = await client.trickle(
      Array.from({ length: 60 }, () => `${chunk.length.toString(16)}\r\n${chunk}\r\n`),
      20,
    );
    expect(sentAll).toBe(false);
    expect(client.received).toMatch(/^HTTP\/1\.1 413 /);
    expect(client.received).toMatch(/connection: close/i);
  });
});

describe('response headers', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.stop());

  it.each([
    ['GET /healthz', () => fetch(`${t.url}/healthz`)],
    ['GET /metrics', () => fetch(`${t.url}/metrics`)],
    ['a 404', () => fetch(`${t.url}/nope`)],
    [
      'POST /graphql',
      () =>
        fetch(`${t.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: '{ __typename }' }),
        }),
    ],
  ])('sends security headers on %s', async (_c, send) => {
    const res = await send();
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toBe(
      "default-src 'none';frame-ancestors 'none'",
    );
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('strict-transport-security')).toMatch(/^max-age=\d+/);
    expect(res.headers.get('x-powered-by')).toBeNull();
    // Helmet's headers for HTML documents are the explorer page's alone (OWASP's API set above).
    for (const name of HTML_ONLY_HEADERS) expect(res.headers.get(name)).toBeNull();
  });

  it('leaves the explorer page its own policy, still never framed', async () => {
    const page = await fetch(`${t.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    for (const name of HTML_ONLY_HEADERS) expect(page.headers.get(name)).not.toBeNull();
    expect(page.headers.get('cross-origin-opener-policy')).toBe('same-origin');
  });

  it('allows any origin by default, and only GET and POST in preflights', async () => {
    const preflight = await fetch(`${t.url}/graphql`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'DELETE' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-methods')).toBe('GET,POST');
  });
});

describe('CORS_ORIGINS', () => {
  it('allows only the configured origins', async () => {
    const t = await startTestApp({
      env: { CORS_ORIGINS: 'https://app.example, https://admin.example:8443' },
    });
    try {
      const preflight = (origin: string) =>
        fetch(`${t.url}/graphql`, {
          method: 'OPTIONS',
          headers: { origin, 'access-control-request-method': 'POST' },
        });
      const allowed = await preflight('https://admin.example:8443');
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://admin.example:8443');
      expect(allowed.headers.get('vary')).toMatch(/origin/i);
      const other = await preflight('https://evil.example');
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
      const answer = await fetch(`${t.url}/graphql?query=${encodeURIComponent('{ __typename }')}`, {
        headers: { origin: 'https://app.example' },
      });
      expect(answer.headers.get('access-control-allow-origin')).toBe('https://app.example');
    } finally {
      await t.stop();
    }
  });
});

/** A POST to /graphql with exactly these headers and bytes (chunked when `chunked`). */
function post(
  url: string,
  headers: Record<string, string>,
  body: Buffer,
  chunked = false,
): Promise<{
  status: number;
  json: { data?: unknown; errors?: Array<{ message: string; extensions: { code: string } }> };
}> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: Number(port),
        method: 'POST',
        path: '/graphql',
        headers: chunked
          ? { ...headers, 'transfer-encoding': 'chunked' }
          : { ...headers, 'content-length': body.length },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode!, json: JSON.parse(Buffer.concat(chunks).toString()) }),
        );
      },
    );
    req.on('error', reject);
    if (chunked) req.write(body.subarray(0, 3));
    req.end(chunked ? body.subarray(3) : body);
  });
}

/** Every body rule applies to every POST, however its bytes arrive (sized, chunked, compressed). */
describe('request bodies', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.stop());

  const JSON_TYPE = { 'content-type': 'application/json' };
  const query = Buffer.from(JSON.stringify({ query: '{ __typename }' }));

  it.each([
    ['gzip', zlib.gzipSync(query)],
    ['deflate', zlib.deflateSync(query)],
    ['br', zlib.brotliCompressSync(query)],
  ])('reads a %s body', async (encoding, body) => {
    const res = await post(t.url, { ...JSON_TYPE, 'content-encoding': encoding }, body);
    expect(res).toEqual({ status: 200, json: { data: { __typename: 'Query' } } });
  });

  it('refuses a small compressed body that inflates past the limit with 413', async () => {
    const bomb = zlib.gzipSync(
      JSON.stringify({ query: '{ __typename }', pad: ' '.repeat(200_000) }),
    );
    expect(bomb.length).toBeLessThan(100 * 1024);
    const res = await post(t.url, { ...JSON_TYPE, 'content-encoding': 'gzip' }, bomb);
    expect([res.status, res.json.errors![0].extensions.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
  });

  it('answers a chunked body that is not JSON as a sized one: 400 BAD_REQUEST', async () => {
    const notJson = Buffer.from('{"query": nope');
    const sized = await post(t.url, JSON_TYPE, notJson);
    const chunked = await post(t.url, JSON_TYPE, notJson, true);
    expect(sized.status).toBe(400);
    expect(sized.json.errors![0].message).toBe('The request body is not valid JSON');
    expect(chunked).toEqual(sized);
  });

  it.each([
    ['a charset other than UTF', { 'content-type': 'application/json; charset=latin1' }],
    ['an unknown content encoding', { ...JSON_TYPE, 'content-encoding': 'x-custom' }],
  ])('refuses %s with 415', async (_case, headers) => {
    const res = await post(t.url, headers, query);
    expect(res.status).toBe(415);
    expect(res.json.data).toBeUndefined();
  });

  it('reads a UTF-16 body', async () => {
    const body = Buffer.from(JSON.stringify({ query: '{ __typename }' }), 'utf16le');
    const res = await post(t.url, { 'content-type': 'application/json; charset=utf-16le' }, body);
    expect(res).toEqual({ status: 200, json: { data: { __typename: 'Query' } } });
  });
});
