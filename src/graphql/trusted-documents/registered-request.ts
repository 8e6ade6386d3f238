import type { TrustedDocuments } from './registry';

/**
 * A request that names a registered document by id, turned into what Apollo
 * reads: an automatic persisted query's `extensions.persistedQuery` with the
 * document's SHA-256, which Apollo looks up without hashing, parsing or
 * validating anything (registry.ts). Clients name a document three ways:
 *
 * - `extensions.persistedQuery.sha256Hash` (Apollo Client, urql): the id
 *   their manifest gave it, which for GraphQL Code Generator may be another
 *   hash than SHA-256, so it is looked up and replaced by the SHA-256;
 * - `documentId` in a POST body (GraphQL over HTTP, persisted documents);
 * - `documentId` in a GET's query string: a short URL a CDN can keep.
 *
 * An id no manifest has is refused (404, PERSISTED_QUERY_NOT_FOUND, naming
 * it), except an automatic persisted query's hash while clients may still
 * register documents: Apollo then answers PERSISTED_QUERY_NOT_FOUND with 200
 * and the client sends the text, as that protocol expects.
 */
export class Refusal {
  constructor(
    readonly status: number,
    readonly message: string,
    readonly extensions: { code: string; documentId?: string },
  ) {}
}

/** The fields of a GraphQL request this reads; the rest is passed on as sent. */
interface RequestFields {
  documentId?: unknown;
  query?: unknown;
  extensions?: unknown;
}

export class RegisteredRequests {
  constructor(
    private readonly registry: TrustedDocuments,
    /** TRUSTED_DOCUMENTS_ONLY: no automatic persisted query can be registered. */
    private readonly registeredOnly: boolean,
  ) {}

  /**
   * A POST body as Apollo should read it: the same object when it names no
   * document by id, a new one when it does, or a Refusal.
   */
  body(body: unknown): unknown {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
    const resolved = this.resolve(body as RequestFields);
    if (resolved === null || resolved instanceof Refusal) return resolved ?? body;
    const { documentId: _documentId, ...rest } = body as Record<string, unknown>;
    return { ...rest, extensions: resolved };
  }

  /** A GET's query string (with its "?") as Apollo should read it, or a Refusal. */
  search(search: string): string | Refusal {
    const params = new URLSearchParams(search);
    if (!params.has('documentId') && !params.has('extensions')) return search;
    let extensions: unknown;
    try {
      extensions = params.has('extensions') ? JSON.parse(params.get('extensions')!) : undefined;
    } catch {
      return search; // Apollo says what it makes of it
    }
    const resolved = this.resolve({
      documentId: params.get('documentId') ?? undefined,
      query: params.get('query') ?? undefined,
      extensions,
    });
    if (resolved === null || resolved instanceof Refusal) return resolved ?? search;
    params.delete('documentId');
    params.set('extensions', JSON.stringify(resolved));
    return `?${params.toString()}`;
  }

  /** The request's new `extensions`; null when it names no document by id; or a Refusal. */
  private resolve(request: RequestFields): Record<string, unknown> | Refusal | null {
    const extensions = isObject(request.extensions) ? request.extensions : {};
    if (request.documentId !== undefined) {
      if (typeof request.documentId !== 'string' || request.documentId === '') {
        return badRequest('"documentId" must be a non-empty string');
      }
      if (request.query !== undefined) {
        return badRequest('Send either "documentId" or "query", not both');
      }
      const document = this.registry.byId(request.documentId);
      if (!document) return notFound(request.documentId);
      return { ...extensions, persistedQuery: { version: 1, sha256Hash: document.sha256 } };
    }
    const persisted = extensions.persistedQuery;
    if (!isObject(persisted) || typeof persisted.sha256Hash !== 'string') return null;
    // With the text: an automatic persisted query registering it; Apollo checks the hash.
    if (request.query !== undefined) return null;
    const document = this.registry.byId(persisted.sha256Hash);
    if (!document) return this.registeredOnly ? notFound(persisted.sha256Hash) : null;
    if (document.sha256 === persisted.sha256Hash) return null;
    return { ...extensions, persistedQuery: { ...persisted, sha256Hash: document.sha256 } };
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function notFound(id: string): Refusal {
  return new Refusal(
    404,
    `No trusted document has the id "${truncate(id)}": send an id from the app's manifest (see README: Trusted documents)`,
    { code: 'PERSISTED_QUERY_NOT_FOUND', documentId: truncate(id) },
  );
}

function badRequest(message: string): Refusal {
  return new Refusal(400, message, { code: 'BAD_REQUEST' });
}

/** An id echoed back is at most this long: the rest of an abusive one says nothing. */
const MAX_ECHOED_ID = 200;

function truncate(id: string): string {
  return id.length > MAX_ECHOED_ID ? `${id.slice(0, MAX_ECHOED_ID)}…` : id;
}
