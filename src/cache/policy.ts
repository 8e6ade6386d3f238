import type { ApolloServerPlugin } from '@apollo/server';
import type { OperationName } from '../metrics';
import type { RequestReads } from './responses';

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
 * The cache decision and its header, for every GraphQL answer: a query
 * answered without errors to a request that may be cached is kept, and a GET
 * of one gets `cache-control: public, max-age=<RESPONSE_CACHE_MAX_AGE_SECONDS>`
 * (and `vary: accept`) so a CDN or browser may keep it as long as this process would. Everything
 * else (mutations, errors, editors' requests, POSTs, RESPONSE_CACHE=false)
 * gets `no-store`, as Apollo's cacheControl plugin sent for answers without
 * cache hints (that plugin ran a hook on every field; it is disabled).
 */
export function cachePolicy(maxAgeSeconds: number): ApolloServerPlugin<{
  responseCaching?: ResponseCaching | null;
}> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue, operation, operationName, response }) {
          const caching = contextValue?.responseCaching;
          const keep =
            caching !== null &&
            caching !== undefined &&
            operation?.operation === 'query' &&
            (response.http.status ?? 200) === 200 &&
            response.body.kind === 'single' &&
            response.body.singleResult.errors === undefined;
          if (caching) {
            caching.keep = keep;
            caching.operation = { type: 'query', name: operationName ?? 'anonymous' };
          }
          const publicGet = keep && caching?.method === 'GET';
          response.http.headers.set(
            'cache-control',
            publicGet ? `public, max-age=${maxAgeSeconds}` : 'no-store',
          );
          // Apollo answers application/json or application/graphql-response+json as
          // Accept asks: a CDN keeping the answer must keep one per Accept.
          if (publicGet) response.http.headers.set('vary', 'accept');
        },
      };
    },
  };
}
