import type http from 'node:http';
import type { Transform } from 'node:stream';
import { TextDecoder } from 'node:util';
import zlib from 'node:zlib';

/** Why a POST body was not read: the answer's status, message and code (src/http/respond.ts). */
export class BodyRefusal {
  constructor(
    readonly status: number,
    readonly message: string,
    readonly code: string,
  ) {}

  /** 413 closes the connection: the rest of the body is never read. */
  get closesConnection(): boolean {
    return this.status === 413;
  }
}

/** How a body's bytes are compressed (Content-Encoding), and how to undo it. */
const DECOMPRESSORS: Readonly<Record<string, () => Transform>> = {
  gzip: () => zlib.createGunzip(),
  deflate: () => zlib.createInflate(),
  br: () => zlib.createBrotliDecompress(),
};

/**
 * A POST to /graphql, read as text. The rules, in the order they apply:
 *
 * - Cross-site request forgery is decided by media type, since the API uses
 *   no cookies (editors send a Bearer token, which browsers never attach on
 *   their own): a POST must be `application/json`, a type a cross-site form
 *   or a no-cors fetch cannot send without a CORS preflight. A form or
 *   `text/plain` post is refused with 415 before GraphQL sees it, so it can
 *   never rate. GET runs queries only (Apollo refuses a mutation over GET with
 *   405), so the default GET queries of urql, graphql-request and browsers
 *   need no extra header. This replaces Apollo's csrfPrevention, which also
 *   refuses header-less GETs.
 * - The charset is UTF-8 unless named; another UTF (utf-16le) is decoded,
 *   anything else is refused with 415 (RFC 7159 allows only Unicode).
 * - The body is at most `limitBytes`, as sent and once decompressed (gzip,
 *   deflate, br): refused with 413 at once when Content-Length declares more,
 *   else as soon as the bytes received (or inflated) pass it, so a client
 *   can neither stream megabytes nor send a small compression bomb, and the
 *   connection is closed after the answer so the rest is never read.
 *
 * The text (or the refusal) is handed to `done` rather than a promise: an
 * answer from the response cache then waits on no promise at all, a
 * measurable share of its cost (docs/performance.md).
 */
export function readBodyText(
  req: http.IncomingMessage,
  limitBytes: number,
  done: (read: string | BodyRefusal) => void,
): void {
  const { headers } = req;
  const [mediaType = '', ...parameters] = (headers['content-type'] ?? '').split(';');
  if (mediaType.trim().toLowerCase() !== 'application/json') {
    return done(
      new BodyRefusal(
        415,
        'A POST to /graphql must have content-type application/json',
        'UNSUPPORTED_MEDIA_TYPE',
      ),
    );
  }
  const decoder = decoderFor(charsetOf(parameters));
  if (decoder instanceof BodyRefusal) return done(decoder);
  if (Number(headers['content-length']) > limitBytes) return done(tooLarge(limitBytes));
  const encoding = (headers['content-encoding'] ?? 'identity').toLowerCase();
  const decompress = encoding === 'identity' ? null : DECOMPRESSORS[encoding];
  if (decompress === undefined) {
    return done(new BodyRefusal(415, `unsupported content encoding "${encoding}"`, 'BAD_REQUEST'));
  }
  readLimited(req, limitBytes, decompress?.() ?? null, (bytes) =>
    done(bytes instanceof BodyRefusal ? bytes : decoder.decode(bytes)),
  );
}

/**
 * The body parsed as strict JSON (an object or an array: Apollo refuses
 * batches itself), `{}` for an empty body (Apollo then says what is missing),
 * or undefined when it is not JSON.
 */
export function parseJsonBody(text: string): unknown {
  if (text === '') return {};
  if (!/^[ \t\n\r]*[{[]/.test(text)) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The charset parameter of a Content-Type, lower-cased, unquoted; utf-8 when absent. */
function charsetOf(parameters: string[]): string {
  for (const parameter of parameters) {
    const [name, value = ''] = parameter.split('=');
    if (name.trim().toLowerCase() === 'charset') {
      return value
        .trim()
        .replace(/^"(.*)"$/, '$1')
        .toLowerCase();
    }
  }
  return 'utf-8';
}

/**
 * Decoders by charset, built once: a TextDecoder decoding whole bodies (never
 * `stream: true`) keeps no state between calls, and building one per request
 * cost a measurable share of a cached answer.
 */
const decoders = new Map<string, TextDecoder>();

/** A decoder for a UTF charset (it drops a byte order mark), or the 415 refusing the charset. */
function decoderFor(charset: string): TextDecoder | BodyRefusal {
  const known = decoders.get(charset);
  if (known) return known;
  const refusal = new BodyRefusal(
    415,
    `unsupported charset "${charset.toUpperCase()}"`,
    'BAD_REQUEST',
  );
  if (!charset.startsWith('utf-')) return refusal;
  try {
    const decoder = new TextDecoder(charset);
    // Keyed by the decoder's own name too: "utf8" and "UTF-8" share one, and the map stays small.
    decoders.set(decoder.encoding, decoder);
    if (decoders.size < MAX_DECODERS) decoders.set(charset, decoder);
    return decoder;
  } catch {
    return refusal;
  }
}

/** Charset spellings remembered (a client could send endless variants of "utf-8"). */
const MAX_DECODERS = 16;

/** Hands `resolve` the body's bytes (decompressed by `inflate` when given), or the refusal that cut it short. */
function readLimited(
  req: http.IncomingMessage,
  limitBytes: number,
  inflate: Transform | null,
  resolve: (read: Buffer | BodyRefusal) => void,
): void {
  const chunks: Buffer[] = [];
  let received = 0;
  let decoded = 0;
  let settled = false;
  const settle = (result: Buffer | BodyRefusal) => {
    if (settled) return;
    settled = true;
    req.off('data', onReceived);
    inflate?.destroy();
    resolve(result);
  };
  const whole = () => settle(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
  const onDecoded = (chunk: Buffer) => {
    decoded += chunk.length;
    if (decoded > limitBytes) settle(tooLarge(limitBytes));
    else chunks.push(chunk);
  };
  const onReceived = (chunk: Buffer) => {
    received += chunk.length;
    if (received > limitBytes) settle(tooLarge(limitBytes));
    else if (inflate) inflate.write(chunk);
    else onDecoded(chunk);
  };
  req.on('data', onReceived);
  req.once('error', () =>
    settle(new BodyRefusal(400, 'The request body was not received whole', 'BAD_REQUEST')),
  );
  if (!inflate) {
    req.once('end', whole);
    return;
  }
  inflate.on('data', onDecoded);
  inflate.once('end', whole);
  inflate.once('error', () =>
    settle(new BodyRefusal(400, 'The request body could not be decompressed', 'BAD_REQUEST')),
  );
  req.once('end', () => inflate.end());
}

function tooLarge(limitBytes: number): BodyRefusal {
  return new BodyRefusal(
    413,
    `The request body is too large (limit ${Math.floor(limitBytes / 1024)} kB)`,
    'PAYLOAD_TOO_LARGE',
  );
}
