import type {
  GatewayExecutor,
  GatewayGraphQLRequestContext,
  GatewayInterface,
} from '@apollo/server-gateway-interface';
import {
  BREAK,
  type DocumentNode,
  execute,
  type ExecutionResult,
  GraphQLError,
  type GraphQLSchema,
  printSchema,
  visit,
} from 'graphql';
import { compileQuery, type CompiledQuery, isCompiledQuery } from 'graphql-jit';

/**
 * How Reelcheck runs an operation Apollo has parsed and validated.
 *
 * graphql-js's `execute` walks the document's syntax tree for every field of
 * every request: on the title page that walk cost more CPU than the
 * resolvers (issue 12). graphql-jit turns a document into a JavaScript
 * function once and then only runs that function. Compiling costs a few
 * validations' worth of CPU, so a document runs on graphql-js for its first
 * `compileAfterRuns` runs and is compiled when it comes back: a one-off
 * document never pays for compiling.
 *
 * A document whose strings hold graphql-jit's marker text is never compiled
 * (compilable, below): graphql-jit would write it into its code as code.
 *
 * The two engines must answer alike (test/integration/execution.test.ts
 * compares them). Where graphql-jit's output differs in form, it is turned
 * into graphql-js's here, so everything after execution (Apollo's status
 * rules, formatError, the logs) sees one kind of result.
 */

/** The engines, as the executions metric labels them. */
export type Engine = 'graphql-js' | 'graphql-jit';

export interface JitOptions {
  /** Runs of a document on graphql-js before it is compiled; 0 compiles on first use. */
  compileAfterRuns: number;
}

/** Runs per engine since start, read by the metrics when scraped (plain numbers: this is per request). */
export type ExecutionCounts = Record<Engine, number>;

/** What is known of one operation of one document. */
interface Plan {
  runs: number;
  /** Set once compiled; null when graphql-jit refused the document (it then stays on graphql-js). */
  compiled?: CompiledQuery | null;
}

export class OperationExecutor {
  readonly counts: ExecutionCounts = { 'graphql-js': 0, 'graphql-jit': 0 };
  /**
   * Keyed by the parsed document. Apollo keeps one parsed document per query
   * text (its document store, bounded), so a plan lives as long as Apollo
   * keeps the document and no longer.
   */
  private readonly plans = new WeakMap<DocumentNode, Map<string, Plan>>();

  /** `jit` null (GRAPHQL_JIT=false): every operation runs on graphql-js. */
  constructor(
    private readonly schema: GraphQLSchema,
    private readonly jit: JitOptions | null,
  ) {}

  /**
   * Apollo Server's place for a custom executor. Apollo 4 dropped its
   * `executor` option; its migration guide points to the gateway interface,
   * which this implements with the schema unchanged: Apollo still parses,
   * validates and runs every plugin, and hands execution to `execute`.
   */
  asApolloGateway(): GatewayInterface {
    const schema = this.schema;
    const executor: GatewayExecutor = (request) => this.execute(request);
    return {
      async load() {
        return { executor };
      },
      onSchemaLoadOrUpdate(callback) {
        callback({ apiSchema: schema, coreSupergraphSdl: printSchema(schema) });
        return () => {};
      },
      async stop() {},
    };
  }

  /** Runs one operation of a validated document, on the engine its plan says. */
  async execute(request: GatewayGraphQLRequestContext): Promise<ExecutionResult> {
    const { document, context } = request;
    const { operationName, variables = {} } = request.request;
    const compiled = this.compiledFor(document, operationName);
    if (compiled) {
      const result = await compiled.query(undefined, context, variables);
      // No data: graphql-jit refused the variables before running anything.
      // graphql-js words those errors the way Apollo recognises (400, BAD_USER_INPUT).
      if (result.data !== undefined) {
        this.counts['graphql-jit'] += 1;
        return result.errors ? { ...result, errors: result.errors.map(asGraphQLJsError) } : result;
      }
    }
    this.counts['graphql-js'] += 1;
    return execute({
      schema: this.schema,
      document,
      contextValue: context,
      variableValues: variables,
      operationName,
    });
  }

  /** The document's compiled operation once it has run often enough; null until then. */
  private compiledFor(document: DocumentNode, operationName?: string): CompiledQuery | null {
    if (!this.jit) return null;
    let byOperation = this.plans.get(document);
    if (!byOperation) {
      byOperation = new Map();
      this.plans.set(document, byOperation);
    }
    const key = operationName ?? '';
    let plan = byOperation.get(key);
    if (!plan) {
      plan = { runs: 0 };
      byOperation.set(key, plan);
    }
    if (plan.compiled !== undefined) return plan.compiled;
    if (plan.runs < this.jit.compileAfterRuns) {
      plan.runs += 1;
      return null;
    }
    const compiled = compilable(document)
      ? compileQuery(this.schema, document, operationName)
      : null;
    plan.compiled = compiled && isCompiledQuery(compiled) ? compiled : null;
    return plan.compiled;
  }
}

/** What graphql-jit's markers all start with ("__MAGIC_DATE__<uuid>", "__MAGIC_NAN__<uuid>", ...). */
const JIT_MARKER = '__MAGIC_';

/**
 * Whether graphql-jit may compile the document. It writes a field's argument
 * literals into the code it generates as JSON, then turns its marker strings
 * back into Dates, NaN and Infinity by replacing text: a Date's marker is
 * followed by the digits it captures into `new Date(...)`. A client's string
 * that starts with the Date marker is captured too, whatever follows, so in
 * graphql-jit 0.8.9 `title(slug: "__MAGIC_DATE__<uuid>0), x: (<code>")` runs
 * <code> on the server. The markers are fixed strings; only a string value
 * of the document can carry one (our scalars' parseLiteral only read), so a
 * document with any string holding marker text runs on graphql-js instead.
 */
function compilable(document: DocumentNode): boolean {
  let safe = true;
  visit(document, {
    StringValue(node) {
      if (!node.value.includes(JIT_MARKER)) return undefined;
      safe = false;
      return BREAK;
    },
  });
  return safe;
}

/**
 * A graphql-jit error as graphql-js makes it. graphql-jit's errors inherit
 * GraphQLError's prototype without its constructor: no `extensions` object
 * when there are none (Apollo reads `extensions.code`) and no AST nodes
 * (graphql-js derives `locations` from them; graphql-jit gives the
 * locations themselves, kept here).
 */
function asGraphQLJsError(error: GraphQLError): GraphQLError {
  const normal = new GraphQLError(error.message, {
    path: error.path,
    originalError: error.originalError ?? undefined,
    extensions: error.extensions,
  });
  (normal as { locations?: GraphQLError['locations'] }).locations = error.locations;
  return normal;
}
