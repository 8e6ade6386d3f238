import type { TrustedDocuments } from './registry';

/** The refusal's code: this server runs only registered documents for anonymous clients. */
export const TRUSTED_DOCUMENTS_ONLY = 'TRUSTED_DOCUMENTS_ONLY';

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
 *
 * With TRUSTED_DOCUMENTS_ONLY, a document sent as text that no manifest has
 * is refused here too (403, TRUSTED_DOCUMENTS_ONLY), before Apollo parses or
 * validates it, unless the request carries a valid editor token: nothing
 * about the schema can be learnt from how a refusal differs, and nothing is
 * kept for such a document.
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
   * document by id, a new one when it does, or a Refusal. `isEditor` is asked
   * only when enforcement must decide on a document sent as text.
   */
  async body(body: unknown, isEditor: () => Promise<boolean>): Promise<unknown> {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
    const fields = body as RequestFields;
    const resolved = this.resolve(fields);
    if (resolved instanceof Refusal) return resolved;
    const refused = await this.enforce(fields.query, isEditor);
    if (refused) return refused;
    if (resolved === null) return body;
    const { documentId: _documentId, ...rest } = body as Record<string, unknown>;
    return { ...rest, extensions: resolved };
  }

  /** A GET's query string (with its "?") as Apollo should read it, or a Refusal. */
  async search(search: string, isEditor: () => Promise<boolean>): Promise<string | Refusal> {
    const params = new URLSearchParams(search);
    const refused = await this.enforce(params.get('query') ?? undefined, isEditor);
    if (refused) return refused;
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

  /** With TRUSTED_DOCUMENTS_ONLY: the refusal of a text no manifest has, unless an editor sent it. */
  private async enforce(query: unknown, isEditor: () => Promise<boolean>): Promise<Refusal | null> {
    if (!this.registeredOnly || query === undefined) return null;
    if (typeof query === 'string' && this.registry.withText(query)) return null;
    if (await isEditor()) return null;
    return new Refusal(
      403,
      'This server runs only the registered operations of its apps: send a registered documentId (see docs/execution.md: Trusted documents), or an editor token',
      { code: TRUSTED_DOCUMENTS_ONLY },
    );
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
    if (request.query !== undefined) {
      return withTextHash(this.registry, extensions, persisted.sha256Hash, request.query);
    }
    const document = this.registry.byId(persisted.sha256Hash);
    if (!document) return this.registeredOnly ? notFound(persisted.sha256Hash) : null;
    if (document.sha256 === persisted.sha256Hash) return null;
    return { ...extensions, persistedQuery: { ...persisted, sha256Hash: document.sha256 } };
  }
}

/**
 * A hash sent with its text: an automatic persisted query registering it, or
 * a client falling back to the text beside its manifest's id. Apollo checks
 * that the hash is the text's bare SHA-256: a registered id of that very text
 * (GraphQL Code Generator's SHA-1, Relay's MD5) or `sha256:<hex>` becomes the
 * bare hex; any other id is left for Apollo to refuse
 * (PERSISTED_QUERY_HASH_MISMATCH).
 */
function withTextHash(
  registry: TrustedDocuments,
  extensions: Record<string, unknown>,
  id: string,
  query: unknown,
): Record<string, unknown> | null {
  const document = registry.byId(id);
  const bare =
    document && document.text === query
      ? document.sha256
      : id.startsWith(SHA256_PREFIX)
        ? id.slice(SHA256_PREFIX.length)
        : id;
  if (bare === id) return null;
  const persisted = extensions.persistedQuery as Record<string, unknown>;
  return { ...extensions, persistedQuery: { ...persisted, sha256Hash: bare } };
}

const SHA256_PREFIX = 'sha256:';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function notFound(id: string): Refusal {
  return new Refusal(
    404,
    `No trusted document has the id "${truncate(id)}": send an id from the app's manifest (see docs/execution.md: Trusted documents)`,
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
