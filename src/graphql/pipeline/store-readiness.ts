import { type ApolloServerPlugin, HeaderMap } from '@apollo/server';
import { GraphQLError, Kind, type OperationDefinitionNode } from 'graphql';
import { ErrorCode } from '../errors';

/** What the gate reads: StoreBootstrap's `ready` (src/bootstrap.ts). */
export interface Readiness {
  readonly ready: boolean;
}

/** How long a client refused while the store starts should wait before retrying. */
const RETRY_AFTER_SECONDS = 1;

/**
 * No answers before the store is ready and seeded. Until StoreBootstrap is
 * ready (MongoDB not reachable yet, the catalog still being written into an
 * empty store), a query would read a store that is not there or half filled:
 * `{ "title": null }` for a title about to exist, a "not found" a client or a
 * CDN may keep. So until then every operation is refused as a whole with
 * SERVICE_UNAVAILABLE, HTTP 503 and Retry-After, before any field runs: no
 * partial data, and, as an error, never kept by the response cache or a CDN
 * (cachePolicy sends `no-store`).
 *
 * Introspection still answers (an operation that selects only `__schema`,
 * `__type` or `__typename` at its root, without fragments): the schema does
 * not depend on the store, and the explorer and codegen work during a start.
 *
 * Once ready (StoreBootstrap never turns back), a request costs one property
 * read here and no hook; outages after that are answered field by field
 * (StoreUnavailableError, src/graphql/pipeline/format-error.ts).
 */
export function refuseUntilStoreReady(readiness: Readiness): ApolloServerPlugin {
  return {
    async requestDidStart() {
      if (readiness.ready) return;
      return {
        async didResolveOperation({ operation }) {
          if (readiness.ready || (operation && isIntrospectionOnly(operation))) return;
          throw storeStarting();
        },
      };
    },
  };
}

function isIntrospectionOnly(operation: OperationDefinitionNode): boolean {
  return operation.selectionSet.selections.every(
    (selection) => selection.kind === Kind.FIELD && selection.name.value.startsWith('__'),
  );
}

function storeStarting(): GraphQLError {
  return new GraphQLError(
    'The service is starting and its database is not ready yet; retry shortly',
    {
      extensions: {
        code: ErrorCode.SERVICE_UNAVAILABLE,
        retryAfterSeconds: RETRY_AFTER_SECONDS,
        http: {
          status: 503,
          headers: new HeaderMap([['retry-after', String(RETRY_AFTER_SECONDS)]]),
        },
      },
    },
  );
}
