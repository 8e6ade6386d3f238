import type {
  GatewayExecutor,
  GatewayGraphQLRequestContext,
  GatewayInterface,
} from '@apollo/server-gateway-interface';
import {
  type ASTNode,
  BREAK,
  type DocumentNode,
  execute,
  type ExecutionResult,
  GraphQLError,
  type GraphQLSchema,
  Kind,
  type OperationDefinitionNode,
  parse,
  printSchema,
  visit,
} from 'graphql';
import { compileQuery, type CompiledQuery, isCompiledQuery } from 'graphql-jit';
import { LRUCache } from 'lru-cache';

/**
 * How Reelcheck runs an operation Apollo has parsed and validated.
 *
 * graphql-js's `execute` walks the document's syntax tree for every field of
 * every request: on the title page that walk cost more CPU than the
 * resolvers (issue 12). graphql-jit turns an operation into a JavaScript
 * function once and then only runs that function. Compiling costs several
 * validations' worth of CPU, so an operation runs on graphql-js for its first
 * `compileAfterRuns` runs and is compiled only when it keeps coming back.
 *
 * graphql-jit is compiled only from documents whose answers it gives exactly
 * as graphql-js does, and which cannot smuggle code into what it generates
 * (compilable, below); the rest always run on graphql-js. Where graphql-jit's
 * output differs in form, it is turned into graphql-js's here, so everything
 * after execution (Apollo's status rules, formatError, the logs) sees one
 * kind of result; test/integration/execution.test.ts compares the engines.
 *
 * Not supported with it: plugins with a willResolveField hook (graphql-jit
 * keeps the resolvers it saw when compiling). None is installed (app.ts).
 */

/** The engines, as the executions metric labels them. */
export type Engine = 'graphql-js' | 'graphql-jit';

export interface JitOptions {
  /** Runs of an operation on graphql-js before it is compiled; 0 compiles on first use. */
  compileAfterRuns: number;
}

/** Runs per engine since start, read by the metrics when scraped (plain numbers: this is per request). */
export type ExecutionCounts = Record<Engine, number>;

/**
 * Operations whose runs are counted or whose compiled form is kept. A
 * compiled operation takes some 30 to 70 times its document's size in memory,
 * so both the count and the documents compiled are bounded: at most
 * MAX_PLANS operations of at most MAX_COMPILED_QUERY_LENGTH characters, the
 * least recently run forgotten first. An app's operations are a few dozen.
 */
const MAX_PLANS = 200;
const MAX_COMPILED_QUERY_LENGTH = 10_000;

/** What is known of one operation (of one document Apollo keeps). */
interface Plan {
  runs: number;
  /** Set once compiled; null when it is not compilable (it then stays on graphql-js). */
  compiled?: CompiledQuery | null;
}

export class OperationExecutor {
  readonly counts: ExecutionCounts = { 'graphql-js': 0, 'graphql-jit': 0 };
  /**
   * Keyed by the operation's node in Apollo's parsed document: Apollo keeps
   * one parsed document per query text, so the same operation sent again is
   * the same node, however the request names it.
   */
  private readonly plans = new LRUCache<OperationDefinitionNode, Plan>({ max: MAX_PLANS });

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
    const compiled = this.compiledFor(request);
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

  /** The operation's compiled form once it has run often enough and may be compiled; else null. */
  private compiledFor(request: GatewayGraphQLRequestContext): CompiledQuery | null {
    // No operation: the name named none, and graphql-js says so.
    const { operation, source } = request;
    if (!this.jit || !operation) return null;
    let plan = this.plans.get(operation);
    if (!plan) {
      plan = { runs: 0 };
      this.plans.set(operation, plan);
    }
    if (plan.compiled !== undefined) return plan.compiled;
    if (plan.runs < this.jit.compileAfterRuns) {
      plan.runs += 1;
      return null;
    }
    plan.compiled = null;
    if (
      source.length > MAX_COMPILED_QUERY_LENGTH ||
      source.includes(JIT_MARKER) ||
      source.includes(PROTO_KEY)
    ) {
      return null;
    }
    // graphql-jit writes its bookkeeping onto the syntax tree it compiles: it
    // gets its own parse of the text, never Apollo's kept document.
    const own = parse(source);
    if (!compilable(own)) return null;
    const compiled = compileQuery(this.schema, own, operation.name?.value);
    plan.compiled = isCompiledQuery(compiled) ? compiled : null;
    return plan.compiled;
  }
}

/** What graphql-jit's markers all start with ("__MAGIC_DATE__<uuid>", "__MAGIC_NAN__<uuid>", ...). */
const JIT_MARKER = '__MAGIC_';

/**
 * graphql-jit writes aliases, argument literals and variable defaults into
 * its generated code as object literals, where a `"__proto__"` key sets the
 * object's prototype instead of making a key: `{ __proto__: __typename }`
 * loses its answer, and an _entities representation inherits a __typename
 * it was not given. graphql-js makes such objects without a prototype. It is
 * a name (no escapes), so the query text shows it wherever it is.
 */
const PROTO_KEY = '__proto__';

/**
 * Whether graphql-jit answers this document as graphql-js does, and safely.
 * Its text was checked for JIT_MARKER and PROTO_KEY already (names, enum values);
 * this checks what the text can hide or what graphql-jit 0.8.9 gets wrong:
 *
 * - A string value holding the marker, perhaps written with escapes.
 *   graphql-jit writes argument literals into its generated code as JSON,
 *   then turns its marker strings back into Dates, NaN and Infinity by
 *   replacing text: a Date's marker is followed by the digits it captures
 *   into `new Date(...)`, and a client's string that starts with the marker
 *   is captured too, whatever follows, so `title(slug: "__MAGIC_DATE__<uuid>0),
 *   x: (<code>")` would run <code> on the server.
 * - A variable inside a list or input object literal: graphql-jit sets a
 *   left-out one to null where graphql-js leaves the field out (for
 *   updateTitle, "left out" keeps a field and null clears it), and loses
 *   variables inside a literal of a custom scalar (federation's _Any).
 * - @skip or @include: graphql-jit records them on the syntax tree's field
 *   nodes, which a fragment spread twice shares, so one spread's condition
 *   changes the other's answer.
 */
function compilable(document: DocumentNode): boolean {
  let safe = true;
  const refuse = () => {
    safe = false;
    return BREAK;
  };
  visit(document, {
    StringValue(node) {
      return node.value.includes(JIT_MARKER) ? refuse() : undefined;
    },
    Variable(_node, _key, parent) {
      const direct =
        isNode(parent) &&
        (parent.kind === Kind.ARGUMENT || parent.kind === Kind.VARIABLE_DEFINITION);
      return direct ? undefined : refuse();
    },
    Directive(node) {
      return node.name.value === 'skip' || node.name.value === 'include' ? refuse() : undefined;
    },
  });
  return safe;
}

function isNode(value: unknown): value is ASTNode {
  return typeof value === 'object' && value !== null && 'kind' in value;
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
