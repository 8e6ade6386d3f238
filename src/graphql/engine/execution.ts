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

/**
 * How Reelcheck runs an operation Apollo has parsed and validated.
 *
 * graphql-js's `execute` walks the document's syntax tree for every field of
 * every request: on the title page that walk cost more CPU than the
 * resolvers. graphql-jit turns an operation into a JavaScript function once,
 * and then only runs that function.
 *
 * graphql-jit generates code from the document it compiles, so it compiles
 * only the apps' registered documents (trusted-documents/), at start, never
 * a client's text: every other document runs on graphql-js, whatever it
 * contains. A registered operation that graphql-jit would answer differently
 * from graphql-js (compilable, below) runs on graphql-js too. Where
 * graphql-jit's output differs in form, it is turned into graphql-js's here,
 * so everything after execution (Apollo's status rules, formatError, the
 * logs) sees one kind of result; test/integration/execution.test.ts runs
 * every registered document on both engines and compares.
 *
 * Not supported with it: plugins with a willResolveField hook (graphql-jit
 * keeps the resolvers it saw when compiling). None is installed (app.ts).
 */

/** The engines, as the executions metric labels them. */
export type Engine = 'graphql-js' | 'graphql-jit';

/** Runs per engine since start, read by the metrics when scraped (plain numbers: this is per request). */
export type ExecutionCounts = Record<Engine, number>;

export class OperationExecutor {
  readonly counts: ExecutionCounts = { 'graphql-js': 0, 'graphql-jit': 0 };
  /**
   * Keyed by the operation's node in the registered document Apollo runs
   * (the registry hands Apollo that same parsed document for every request
   * that names it), so a lookup is one WeakMap get.
   */
  private readonly compiled = new WeakMap<OperationDefinitionNode, CompiledQuery>();
  /**
   * Results handed over to Apollo, by the request's loaders: Apollo runs an
   * operation with a shallow copy of the request's context, whose loaders are
   * still the request's own object.
   */
  private readonly handedOver = new WeakMap<
    object,
    { operation: OperationDefinitionNode; result: ExecutionResult }
  >();

  /** `jit` false (GRAPHQL_JIT=false): every operation runs on graphql-js. */
  constructor(
    private readonly schema: GraphQLSchema,
    private readonly jit: boolean,
  ) {}

  /**
   * Apollo Server's place for a custom executor. Apollo 4 dropped its
   * `executor` option; its migration guide points to the gateway interface,
   * which this implements with the schema unchanged: Apollo still resolves
   * the document, runs every plugin, and hands execution to `execute`.
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

  /**
   * Compiles one operation of a registered document, at start. `operation`
   * is a node of the document Apollo will run; graphql-jit writes its
   * bookkeeping onto the syntax tree it compiles, so it gets its own parse
   * of `source`. Returns whether it will run compiled.
   */
  compile(source: string, operation: OperationDefinitionNode): boolean {
    if (!this.jit) return false;
    const own = parse(source);
    if (!compilable(own)) return false;
    const compiled = compileQuery(this.schema, own, operation.name?.value);
    if (!isCompiledQuery(compiled)) return false;
    this.compiled.set(operation, compiled);
    return true;
  }

  /**
   * Apollo's executor: runs the operation Apollo resolved (see run), or
   * returns the result handed over for it (handOver).
   */
  async execute(request: GatewayGraphQLRequestContext): Promise<ExecutionResult> {
    const { document, operation, context } = request;
    const handed = this.handedOver.get(loadersOf(context));
    if (handed && handed.operation === operation) {
      this.handedOver.delete(loadersOf(context));
      return handed.result;
    }
    const { operationName, variables = {} } = request.request;
    return this.run({ document, operation, operationName, context, variables });
  }

  /**
   * A result run ahead of Apollo's pipeline (known-queries.ts) that Apollo
   * must answer (errors, refused variables): Apollo's executor returns it for
   * `operation` of this request instead of running the operation again, so
   * Apollo words, counts and logs its errors, and it ran once.
   */
  handOver(
    context: { loaders: object },
    operation: OperationDefinitionNode,
    result: ExecutionResult,
  ): void {
    this.handedOver.set(context.loaders, { operation, result });
  }

  /**
   * Runs one operation of a validated document: compiled when it was
   * registered, else on graphql-js. Variables graphql-jit refuses (no data,
   * nothing ran) are refused again by graphql-js, which words those errors the
   * way Apollo recognises (400, BAD_USER_INPUT).
   */
  async run(request: {
    document: DocumentNode;
    operation?: OperationDefinitionNode;
    operationName?: string | null;
    context: unknown;
    variables: Record<string, unknown>;
  }): Promise<ExecutionResult> {
    const { document, operation, operationName, context, variables } = request;
    const compiled = operation && this.compiled.get(operation);
    if (compiled) {
      const result = await compiled.query(undefined, context, variables);
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
}

/**
 * Whether graphql-jit 0.8.9 answers this registered document as graphql-js
 * does; if not, it runs on graphql-js. It does not when the document has:
 *
 * - a variable inside a list or input object literal: graphql-jit sets a
 *   left-out one to null where graphql-js leaves the field out (for
 *   updateTitle, "left out" keeps a field and null clears it), and loses
 *   variables inside a literal of a custom scalar (federation's _Any);
 * - @skip or @include: graphql-jit records them on the syntax tree's field
 *   nodes, which a fragment spread twice shares, so one spread's condition
 *   changes the other's answer;
 * - the name `__proto__` (an alias, an object field): graphql-jit writes
 *   aliases and literals as JavaScript object literals, where that key sets
 *   the object's prototype instead of making a key.
 */
function compilable(document: DocumentNode): boolean {
  let safe = true;
  const refuse = () => {
    safe = false;
    return BREAK;
  };
  visit(document, {
    Name(node) {
      return node.value === '__proto__' ? refuse() : undefined;
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

/** The request's loaders, which identify it whatever copy of its context Apollo hands on. */
function loadersOf(context: unknown): object {
  const loaders = (context as { loaders?: unknown } | null)?.loaders;
  return typeof loaders === 'object' && loaders !== null ? loaders : NO_LOADERS;
}
const NO_LOADERS = {};

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
