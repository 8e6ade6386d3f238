import { createHash } from 'node:crypto';
import { HeaderMap, type HTTPGraphQLResponse } from '@apollo/server';
import { type DocumentNode, getOperationAST, type OperationDefinitionNode } from 'graphql';
import Negotiator from 'negotiator';
import { decideCaching } from '../../cache/policy';
import type { Metrics } from '../../metrics';
import {
  type CostVerdict,
  MAX_QUERY_COMPLEXITY,
  type ResolvedRequest,
} from '../pipeline/complexity';
import { operationAnswered } from '../pipeline/observe-operations';
import type { Readiness } from '../pipeline/store-readiness';
import type { Context } from '../request/context';
import type { OperationExecutor } from './execution';
import type { TrustedDocuments } from './trusted-documents';

/**
 * Queries whose document is known, answered without Apollo's per-request
 * pipeline: a registered document (checked and compiled at start), or a
 * text Apollo has already parsed and validated (its document store keeps
 * only those).
 *
 * For such a document, what Apollo does per request (find the document, run
 * each plugin's hooks, choose the operation, format the result) was done
 * before, but for the variables and the context; on the uncached title page
 * Apollo's own work cost more CPU than running the compiled query
 * (docs/execution.md). So a POST of a known query is answered here: the cost
 * limit's verdict for its variables, the operation run by the engine, then
 * the cache decision, metrics and log line the pipeline's plugins make
 * (decideCaching, operationAnswered), with Apollo's content type.
 *
 * Only the plain success is answered here. Whatever else Apollo has a rule
 * for goes to Apollo, which answers it as it answers every other request:
 * a first text, a body Apollo would refuse or read differently, an operation
 * that does not resolve or is not a query, a store not yet ready, a cost over
 * the limit, an Accept header no JSON type satisfies. A result with errors
 * (refused variables included) is handed over to Apollo's pipeline with the
 * same context (OperationExecutor.handOver), whose executor returns it instead
 * of running the operation again: every error is worded, counted and logged by
 * one set of rules, and each operation runs once.
 *
 * A GET goes to Apollo too: its parameters have rules of their own, and its
 * answers are what the response cache and CDNs keep.
 * test/integration/known-queries.test.ts compares both paths' answers byte
 * for byte.
 */
export interface KnownQueriesDependencies {
  registry: TrustedDocuments;
  executor: OperationExecutor;
  readiness: Readiness;
  /** The cost limit's verdict (complexity.ts cachedVerdicts), as complexityLimit asks it. */
  costOf(request: ResolvedRequest): CostVerdict;
  metrics: Metrics;
  /** The public max-age of anonymous reads (cachePolicy's). */
  maxAgeSeconds: number;
}

/** A POST body naming a known query, as this answers it. */
interface KnownQuery {
  /** The SHA-256 of its text: Apollo's query hash. */
  queryHash: string;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  operationName: string | undefined;
  variables: Record<string, unknown>;
}

export class KnownQueries {
  constructor(private readonly deps: KnownQueriesDependencies) {}

  /**
   * The answer to a POST `body` (parsed, with any document named by id
   * resolved to its SHA-256, as Apollo reads it), or null when Apollo must
   * answer it. `context` builds the request's context once; Apollo gets the
   * same one when this returns null after running the query.
   */
  async answer(
    body: unknown,
    accept: string | undefined,
    context: () => Promise<Context>,
  ): Promise<HTTPGraphQLResponse | null> {
    const { readiness, executor, costOf, metrics, maxAgeSeconds } = this.deps;
    if (!readiness.ready) return null;
    const query = await this.knownQuery(body);
    if (!query) return null;
    const mediaType = singleResultMediaType(accept);
    if (mediaType === null) return null;
    const cost = costOf(query);
    if (typeof cost !== 'number' || cost > MAX_QUERY_COMPLEXITY) return null;

    const started = process.hrtime.bigint();
    let contextValue: Context;
    try {
      contextValue = await context();
    } catch {
      return null; // Apollo reports a context that cannot be built (observeOperations)
    }
    const result = await executor.run({ ...query, context: contextValue });
    if (result.data === undefined || result.errors) {
      executor.handOver(contextValue, query.operation, result);
      return null;
    }

    const headers = new HeaderMap([['content-type', mediaType]]);
    const name = query.operation.name?.value ?? 'anonymous'; // as Apollo names the operation
    decideCaching(
      contextValue.responseCaching,
      { operationType: 'query', operationName: name, status: 200, clean: true },
      headers,
      maxAgeSeconds,
    );
    operationAnswered(metrics, contextValue.logger, {
      operation: { type: 'query', name },
      status: 200,
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
    });
    // As Apollo writes a single result: errors, data, extensions (none here), then a newline.
    const string = `${JSON.stringify({ data: result.data })}\n`;
    return { status: 200, headers, body: { kind: 'complete', string } };
  }

  /** The known query `body` asks for, when Apollo would read the body exactly so; else null. */
  private async knownQuery(body: unknown): Promise<KnownQuery | null> {
    if (!isRecord(body)) return null;
    const { query, operationName, variables, extensions } = body;
    // Apollo's rules for a POST body (runHttpQuery): what it refuses stays its to refuse.
    if (variables !== undefined && variables !== null && !isRecord(variables)) return null;
    if (extensions !== undefined && extensions !== null && !isRecord(extensions)) return null;
    if (
      operationName !== undefined &&
      operationName !== null &&
      typeof operationName !== 'string'
    ) {
      return null;
    }
    const { registry } = this.deps;
    const persisted = extensions?.persistedQuery;
    let queryHash: string;
    let document: DocumentNode | undefined;
    if (typeof query === 'string') {
      // A text with a hash registers an automatic persisted query: Apollo checks the pair.
      if (persisted !== undefined) return null;
      queryHash = registry.withText(query)?.sha256 ?? sha256(query);
      document = await registry.validatedDocument(queryHash);
    } else if (query === undefined && isRecord(persisted) && persisted.version === 1) {
      // Registered documents only: another hash is Apollo's automatic persisted query handshake.
      if (typeof persisted.sha256Hash !== 'string') return null;
      queryHash = persisted.sha256Hash;
      document = registry.withSha256(queryHash)?.document;
    } else {
      return null;
    }
    if (!document) return null;
    const operation = getOperationAST(document, operationName ?? undefined);
    if (operation?.operation !== 'query') return null;
    return {
      queryHash,
      document,
      operation,
      operationName: operationName ?? undefined,
      variables: variables ?? {},
    };
  }
}

/** Apollo's query hash: the SHA-256 of the text, hex. */
function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The media types of a single result, as Apollo Server 5 names them. */
const APPLICATION_JSON = 'application/json; charset=utf-8';
const GRAPHQL_RESPONSE_JSON = 'application/graphql-response+json; charset=utf-8';
/** Apollo offers it too; chosen, the request goes to Apollo. */
const JSON_GRAPHQL_CALLBACK = 'application/json; callbackSpec=1.0; charset=utf-8';

/**
 * The content type of a single result for an Accept header, as Apollo
 * Server 5 chooses it (chooseContentTypeForSingleResultResponse, not
 * exported): application/json without a header, else the negotiated one
 * of its three; null when that is none of the two JSON types.
 */
function singleResultMediaType(accept: string | undefined): string | null {
  if (!accept) return APPLICATION_JSON;
  const preferred = new Negotiator({ headers: { accept } }).mediaType([
    APPLICATION_JSON,
    GRAPHQL_RESPONSE_JSON,
    JSON_GRAPHQL_CALLBACK,
  ]);
  return preferred === APPLICATION_JSON || preferred === GRAPHQL_RESPONSE_JSON ? preferred : null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
