import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { ErrorCode } from '../errors';

/**
 * The schema has no subscriptions and HTTP could not carry them. Without this,
 * graphql-js answers a subscription operation with an uncoded error, which
 * Apollo reports as an INTERNAL_SERVER_ERROR (and logs as a bug).
 */
export function refuseSubscriptions(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation }) {
          if (operation?.operation !== 'subscription') return;
          throw new GraphQLError('Subscriptions are not supported: send a query or a mutation', {
            extensions: { code: ErrorCode.OPERATION_NOT_SUPPORTED, http: { status: 400 } },
          });
        },
      };
    },
  };
}
