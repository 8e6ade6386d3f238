import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type GraphQLFormattedError } from 'graphql';

export interface GraphQLResponse<TData> {
  status: number;
  data?: TData | null;
  errors?: GraphQLFormattedError[];
  extensions?: Record<string, unknown>;
}

/**
 * Sends a typed document over real HTTP, as an app would. Types come from the
 * codegen output (test/generated), so a schema change breaks test compilation.
 */
export async function execute<TData, TVariables>(
  url: string,
  document: TypedDocumentNode<TData, TVariables>,
  variables?: TVariables,
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<TData>> {
  return postRaw<TData>(url, { query: print(document), variables }, headers);
}

/** For requests codegen cannot type (invalid on purpose, or ad hoc). */
export async function postRaw<TData = Record<string, unknown>>(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<TData>> {
  return inFlight.run(async () => {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    const json = (await response.json()) as Omit<GraphQLResponse<TData>, 'status'>;
    return { status: response.status, ...json };
  });
}

/**
 * At most `limit` requests on the wire at once; the rest wait their turn, as
 * behind an app's or a browser's connection pool. A test that fires hundreds
 * of requests together would otherwise open hundreds of connections at once:
 * on a loaded machine they overflow the listen backlog and fail on fetch's
 * 10-second connect timeout, a test of the machine rather than the server.
 * Requests still overlap by the dozens, which is what concurrency tests need.
 */
class InFlightLimit {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  async run<T>(request: () => Promise<T>): Promise<T> {
    if (this.running < this.limit) this.running += 1;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await request();
    } finally {
      // The slot passes straight to the next waiter, or is given back.
      const next = this.waiting.shift();
      if (next) next();
      else this.running -= 1;
    }
  }
}

const inFlight = new InFlightLimit(64);

/** The first error's extensions.code, for assertions. */
export function errorCode(response: GraphQLResponse<unknown>): unknown {
  return response.errors?.[0]?.extensions?.code;
}
