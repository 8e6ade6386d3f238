import type { ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { ErrorCode } from '../errors';
import { errorCodeOf } from './format-error';
import type { Logger } from '../../logger';
import type { Metrics, OperationName } from '../../metrics';
import type { Context } from '../request/context';

/**
 * What happened to each GraphQL operation: its duration in the metrics, one
 * info line on the request's logger (with the error codes sent), and the
 * stack of any internal error at error level. Client errors, Apollo's own
 * request errors included, are never logged as errors: they are not bugs.
 */
export function observeOperations(metrics: Metrics, logger: Logger): ApolloServerPlugin<Context> {
  return {
    async contextCreationDidFail({ error }) {
      logger.error({ err: error }, 'could not build the GraphQL context');
    },
    async requestDidStart() {
      const started = process.hrtime.bigint();
      return {
        async willSendResponse({ contextValue, operation, operationName, response, errors }) {
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          const type = operation?.operation ?? 'none';
          const name = operation ? (operationName ?? 'anonymous') : 'none';
          for (const error of errors ?? []) {
            if (errorCodeOf(error) !== ErrorCode.INTERNAL_SERVER_ERROR) continue;
            contextValue.logger.error(
              { err: unwrapResolverError(error), path: error.path },
              'unexpected error while resolving',
            );
          }
          const sent = response.body.kind === 'single' ? response.body.singleResult.errors : [];
          operationAnswered(metrics, contextValue.logger, {
            operation: { type, name },
            status: response.http.status ?? 200,
            seconds,
            errors: sent?.map((error) => error.extensions?.code),
          });
        },
      };
    },
  };
}

/**
 * An operation answered: its duration in the metrics and its line in the log.
 * Called by the plugin above and for registered queries answered without
 * Apollo's pipeline (src/graphql/engine/known-queries.ts).
 */
export function operationAnswered(
  metrics: Metrics,
  logger: Logger,
  answer: { operation: OperationName; status: number; seconds: number; errors?: unknown[] },
): void {
  metrics.operationAnswered(answer.operation.type, answer.operation.name, answer.seconds);
  logAnswered(logger, answer);
}

/**
 * The one line per answered operation: at info, but at debug for answers
 * from the response cache. Those are the same bytes again, thousands a second
 * on a busy page, and a line cost about a fifth of such an answer; the
 * metrics count them (reelcheck_response_cache_hits_total).
 */
export function logAnswered(
  logger: Logger,
  answer: {
    operation: OperationName;
    status: number;
    seconds: number;
    errors?: unknown[];
    /** For a line on the app's logger rather than the request's child logger. */
    requestId?: string;
    responseCache?: 'hit';
  },
): void {
  const level = answer.responseCache === 'hit' ? 'debug' : 'info';
  if (!logger.isLevelEnabled(level)) return;
  const { operation, seconds, ...rest } = answer;
  logger[level](
    {
      operation: { type: operation.type, name: operation.name.slice(0, 64) },
      ...rest,
      durationMs: Math.round(seconds * 1000),
    },
    'graphql operation answered',
  );
}
