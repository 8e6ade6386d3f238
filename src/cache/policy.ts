import type { ApolloServerPlugin } from '@apollo/server';
import type { OperationName } from '../metrics';
import type { RequestReads } from './request-reads';

/**
 * A request whose response may be kept: anonymous (no Authorization header),
 * answered by src/http/graphql-endpoint.ts. The plugin below decides whether
 * it is kept once the response is known.
 */
export interface ResponseCaching {
  reads: RequestReads;
  method: 'GET' | 'POST';
  /** Set by cachePolicy: a query answered 200 without errors. */
  keep: boolean;
  /** Set with keep: what the log and metrics call it when it is answered from the cache. */
  operation?: OperationName;
}

/**
 * The request headers, besides the URL, that change a kept answer (the
 * response cache's key holds them too, cacheKey in src/http/graphql-endpoint.ts):
 * Accept picks the media type (application/json or
 * application/graphql-response+json), Origin the CORS headers (with
 * CORS_ORIGINS a list, Access-Control-Allow-Origin names the caller).
 */
export const VARY_BY: readonly string[] = ['accept', 'origin'];

/**
 * The cache decision and its header, for every GraphQL answer: a query
 * answered without errors to a request that may be cached is kept, and a GET
 * of one gets `cache-control: public, max-age=<RESPONSE_CACHE_MAX_AGE_SECONDS>`
 * and `vary` with VARY_BY added to what it had, so a CDN or browser may keep
 * it as long as this process would, one per Accept and Origin. Everything
 * else (mutations, errors, editors' requests, POSTs, RESPONSE_CACHE=false)
 * gets `no-store`, as Apollo's cacheControl plugin sent for answers without
 * cache hints (that plugin ran a hook on every field; it is disabled).
 *
 * The endpoint writes Apollo's headers over those already on the response
 * (CORS middleware sets `Vary: Origin` first), so the `vary` set here names
 * Origin itself rather than relying on that one.
 */
export function cachePolicy(maxAgeSeconds: number): ApolloServerPlugin<{
  responseCaching?: ResponseCaching | null;
}> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue, operation, operationName, response }) {
          const single = response.body.kind === 'single' ? response.body.singleResult : null;
          decideCaching(
            contextValue?.responseCaching,
            {
              operationType: operation?.operation,
              operationName: operationName ?? 'anonymous',
              status: response.http.status ?? 200,
              clean: single !== null && single.errors === undefined,
            },
            response.http.headers,
            maxAgeSeconds,
          );
        },
      };
    },
  };
}

/** One answer as the cache decision sees it. */
export interface AnswerToCache {
  /** query, mutation, subscription; undefined when no operation was resolved. */
  operationType: string | undefined;
  /** As the metrics name it ('anonymous' for an operation without a name). */
  operationName: string;
  status: number;
  /** One result without errors. */
  clean: boolean;
}

/**
 * The cache decision for one answer (cachePolicy above, and registered
 * queries answered without Apollo's pipeline, src/graphql/engine/known-queries.ts):
 * whether the response cache keeps it, noted on `caching`, and its
 * cache-control and vary headers, set on `headers`.
 */
export function decideCaching(
  caching: ResponseCaching | null | undefined,
  answer: AnswerToCache,
  headers: { get(name: string): string | undefined; set(name: string, value: string): unknown },
  maxAgeSeconds: number,
): void {
  const keep =
    caching !== null &&
    caching !== undefined &&
    answer.operationType === 'query' &&
    answer.status === 200 &&
    answer.clean;
  if (caching) {
    caching.keep = keep;
    caching.operation = { type: 'query', name: answer.operationName };
  }
  const publicGet = keep && caching?.method === 'GET';
  headers.set('cache-control', publicGet ? `public, max-age=${maxAgeSeconds}` : 'no-store');
  if (publicGet) headers.set('vary', varyWith(headers.get('vary'), VARY_BY));
}

/**
 * A Vary header's value with `names` added to `existing` (a header value as
 * Node or Apollo hold it; absent: none), each field name once whatever its
 * case, in order; `*` (varies by everything) stays `*`. Vary is only ever
 * added to: a header that dropped a name would let a shared cache give one
 * caller's answer to another.
 */
export function varyWith(
  existing: string | number | readonly string[] | undefined,
  names: readonly string[],
): string {
  const fields: string[] = [];
  const seen = new Set<string>();
  const given = existing === undefined ? [] : Array.isArray(existing) ? existing : [existing];
  for (const value of [...given.map(String), ...names]) {
    for (const raw of value.split(',')) {
      const field = raw.trim();
      if (field === '*') return '*';
      if (field === '' || seen.has(field.toLowerCase())) continue;
      seen.add(field.toLowerCase());
      fields.push(field);
    }
  }
  return fields.join(', ');
}
