import type http from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import type { ValidationRule } from 'graphql';
import { cachePolicy } from '../../cache/policy';
import type { Logger } from '../../logger';
import type { Metrics } from '../../metrics';
import type { Context } from '../request/context';
import { complexityLimit, type CostVerdict, type ResolvedRequest } from './complexity';
import { queryLimitRules } from './limits';
import { observeOperations } from './observe-operations';
import { oneMutationFieldRule } from './one-mutation-field';
import { refuseSubscriptions } from './refuse-subscriptions';
import { legacyJsonStatus } from './response-status';
import { type Readiness, refuseUntilStoreReady } from './store-readiness';

/**
 * What every operation passes through besides the schema, in one list: the
 * validation rules (also applied to registered documents at start) and the
 * Apollo plugins, in the order they run. One file per rule or plugin beside
 * this one.
 */
export function validationRules(): ValidationRule[] {
  // Query limits (limits.ts) and one mutation field per operation.
  return [...queryLimitRules(), oneMutationFieldRule];
}

export interface PipelineDependencies {
  httpServer: http.Server;
  readiness: Readiness;
  /** The cost limit's verdicts (complexity.ts cachedVerdicts), shared with registered queries. */
  costOf(request: ResolvedRequest): CostVerdict;
  metrics: Metrics;
  logger: Logger;
  /** The public max-age of anonymous reads (0: the response cache is off). */
  maxAgeSeconds: number;
}

export function apolloPlugins(deps: PipelineDependencies): ApolloServerPlugin<Context>[] {
  return [
    // Lets in-flight requests finish when Apollo stops.
    ApolloServerPluginDrainHttpServer({ httpServer: deps.httpServer }),
    // Until the store is ready and seeded: 503 SERVICE_UNAVAILABLE, never an empty answer.
    refuseUntilStoreReady(deps.readiness),
    complexityLimit(deps.costOf),
    refuseSubscriptions(),
    legacyJsonStatus(),
    observeOperations(deps.metrics, deps.logger),
    // Browsers get our own offline GraphiQL (src/http/explorer.ts), or nothing with EXPLORER=false.
    ApolloServerPluginLandingPageDisabled(),
    // Its per-field hook ran on every field of every request for one header,
    // which cachePolicy sets from what the response cache knows.
    ApolloServerPluginCacheControlDisabled(),
    cachePolicy(deps.maxAgeSeconds),
    // No federated trace (ftv1) for whoever sends apollo-federation-include-trace: it shows
    // resolver timings, and no router here reports usage to GraphOS.
    ApolloServerPluginInlineTraceDisabled(),
  ];
}
