/**
 * Fake TMDB API v3: a real HTTP server on 127.0.0.1 (random port) for tests
 * that must exercise real sockets, timeouts and connection handling.
 *
 *   const tmdb = await startFakeTmdb();
 *   config.tmdb.baseUrl = tmdb.baseUrl;            // http://127.0.0.1:<port>/3
 *   tmdb.setScore('TV', 1399, { voteAverage: 8.5, voteCount: 25000 });
 *   afterAll(() => tmdb?.close()); // optional: a failed setup reports its own error
 *
 * Routes: GET /3/tv/:id and /3/movie/:id (the /3 prefix is optional). A known
 * id answers 200 `{ id, vote_average, vote_count }` plus the details set with
 * setDetails (TMDB's field names: name/title, original_name/original_title,
 * tagline, overview, first_air_date/release_date, genres, poster_path);
 * GET /3/tv/:id/recommendations and /3/movie/:id/recommendations answer
 * `{ page: 1, results: [{ id, media_type }] }` as set with setRecommendations
 * (an id with a score but none set answers an empty list). An unknown id answers 404
 * with TMDB's error body; without a Bearer token or api_key it answers 401
 * (turn off with `startFakeTmdb({ requireAuth: false })`).
 *
 * Knobs:
 *   setScore(mediaType, id, { voteAverage, voteCount })  what an id answers.
 *   setDetails(mediaType, id, details)  name, genres... of an id (setScore it too).
 *   setRecommendations(mediaType, id, [{ mediaType, id }])  its recommendations.
 *   behave(behavior, target?)  how to answer: globally, or for one
 *     { mediaType, id } (a per-id behavior wins over the global one).
 *     behavior fields, combinable:
 *       latencyMs          wait before answering
 *       status             answer with this status (500, 503, 404, 429, ...)
 *       retryAfterSeconds  with status 429: the Retry-After header
 *       hang               accept the request and never answer
 *       until              answer only once this promise settles (a test
 *                          holds TMDB's answer back to show what did not wait for it)
 *       body               answer 200 with this JSON body (malformed shapes)
 *       times              apply to the next N matching requests only
 *     behave(null, target?) restores normal answers.
 *   requests / count(path?)  every received request (path without /3 and
 *     query, e.g. '/tv/1399', plus the Authorization header and api_key seen);
 *     count() is the total, count('/tv/1399') that path's.
 *   inFlight / maxInFlight  requests being handled now / the most at once
 *     (to check a client's concurrency bound; hanging ones count until the
 *     client gives up).
 *   resetRequests()  forgets requests and maxInFlight; reset() also forgets
 *     scores and behaviors.
 *   close()  stops the server, destroying hanging and kept-alive sockets, so
 *     jest exits cleanly. Call it in afterAll.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type FakeMediaType = 'MOVIE' | 'TV';

export interface FakeScore {
  voteAverage: number;
  voteCount: number;
}

export interface FakeBehavior {
  latencyMs?: number;
  status?: number;
  retryAfterSeconds?: number;
  hang?: boolean;
  until?: Promise<unknown>;
  body?: unknown;
  times?: number;
}

/** What a title's details answer carries besides its votes (TMDB's names are used in the answer). */
export interface FakeDetails {
  name: string;
  originalName?: string;
  tagline?: string;
  overview?: string;
  /** YYYY-MM-DD (first_air_date for TV, release_date for films). */
  date?: string;
  genres?: string[];
  posterPath?: string | null;
}

export interface FakeTarget {
  mediaType: FakeMediaType;
  id: number;
}

export interface ReceivedRequest {
  method: string;
  /** Path without the /3 prefix and the query, e.g. '/tv/1399'. */
  path: string;
  mediaType: FakeMediaType | null;
  id: number | null;
  /** The Authorization header as received, or null. */
  authorization: string | null;
  /** The api_key query parameter as received, or null. */
  apiKey: string | null;
  receivedAt: number;
}

export interface FakeTmdb {
  /** Base URL to configure as TMDB_API_BASE_URL, e.g. http://127.0.0.1:54321/3 */
  readonly baseUrl: string;
  readonly requests: readonly ReceivedRequest[];
  readonly inFlight: number;
  readonly maxInFlight: number;
  count(path?: string): number;
  setScore(mediaType: FakeMediaType, id: number, score: FakeScore): void;
  setDetails(mediaType: FakeMediaType, id: number, details: FakeDetails): void;
  setRecommendations(mediaType: FakeMediaType, id: number, targets: FakeTarget[]): void;
  behave(behavior: FakeBehavior | null, target?: FakeTarget): void;
  resetRequests(): void;
  reset(): void;
  close(): Promise<void>;
}

export interface FakeTmdbOptions {
  /** Answer 401 when neither a Bearer token nor an api_key is sent (default true). */
  requireAuth?: boolean;
}

/** The path for a title as the fake records it: `pathOf('TV', 1399)` is '/tv/1399'. */
export function pathOf(mediaType: FakeMediaType, id: number): string {
  return `/${mediaType === 'TV' ? 'tv' : 'movie'}/${id}`;
}

/** Starts the fake on 127.0.0.1 with an OS-assigned port. */
export async function startFakeTmdb(options: FakeTmdbOptions = {}): Promise<FakeTmdb> {
  const requireAuth = options.requireAuth ?? true;
  const scores = new Map<string, FakeScore>();
  const details = new Map<string, FakeDetails>();
  const recommendations = new Map<string, FakeTarget[]>();
  const behaviors = new Map<string, FakeBehavior>();
  const requests: ReceivedRequest[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let inFlight = 0;
  let maxInFlight = 0;
  const GLOBAL = '*';

  /** The behavior for this request (per id first), consuming one of its `times`. */
  const takeBehavior = (path: string): FakeBehavior | undefined => {
    for (const key of [path, GLOBAL]) {
      const behavior = behaviors.get(key);
      if (!behavior) continue;
      if (behavior.times !== undefined) {
        if (behavior.times <= 1) behaviors.delete(key);
        else behaviors.set(key, { ...behavior, times: behavior.times - 1 });
      }
      return behavior;
    }
    return undefined;
  };

  const sendJson = (
    res: http.ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) => {
    if (res.destroyed || res.writableEnded) return;
    res.writeHead(status, { 'content-type': 'application/json;charset=utf-8', ...headers });
    res.end(JSON.stringify(body));
  };

  const answer = (
    res: http.ServerResponse,
    record: ReceivedRequest,
    behavior: FakeBehavior | undefined,
  ) => {
    if (behavior?.status === 429) {
      const headers: Record<string, string> =
        behavior.retryAfterSeconds !== undefined
          ? { 'retry-after': String(behavior.retryAfterSeconds) }
          : {};
      return sendJson(
        res,
        429,
        {
          success: false,
          status_code: 25,
          status_message: 'Your request count is over the limit.',
        },
        headers,
      );
    }
    if (behavior?.status !== undefined) {
      return sendJson(res, behavior.status, { success: false, status_message: 'Fake failure.' });
    }
    if (requireAuth && !record.authorization?.startsWith('Bearer ') && !record.apiKey) {
      return sendJson(res, 401, {
        success: false,
        status_code: 7,
        status_message: 'Invalid API key: You must be granted a valid key.',
      });
    }
    if (behavior && 'body' in behavior) return sendJson(res, 200, behavior.body);
    const titlePath = record.mediaType ? pathOf(record.mediaType, record.id!) : '';
    if (record.path.endsWith('/recommendations')) {
      if (!scores.has(titlePath)) return sendJson(res, 404, { success: false, status_code: 34 });
      return sendJson(res, 200, {
        page: 1,
        results: (recommendations.get(titlePath) ?? []).map((target) => ({
          id: target.id,
          media_type: target.mediaType === 'TV' ? 'tv' : 'movie',
        })),
      });
    }
    const score = record.mediaType ? scores.get(record.path) : undefined;
    if (!score) {
      return sendJson(res, 404, {
        success: false,
        status_code: 34,
        status_message: 'The resource you requested could not be found.',
      });
    }
    return sendJson(res, 200, {
      id: record.id,
      vote_average: score.voteAverage,
      vote_count: score.voteCount,
      ...detailsBody(record.mediaType!, details.get(record.path)),
    });
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake-tmdb');
    const path = url.pathname.replace(/^\/3(?=\/)/, '');
    const match = /^\/(tv|movie)\/(\d+)(?:\/recommendations)?$/.exec(path);
    const record: ReceivedRequest = {
      method: req.method ?? 'GET',
      path,
      mediaType: match ? (match[1] === 'tv' ? 'TV' : 'MOVIE') : null,
      id: match ? Number(match[2]) : null,
      authorization: req.headers.authorization ?? null,
      apiKey: url.searchParams.get('api_key'),
      receivedAt: Date.now(),
    };
    requests.push(record);
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.on('close', () => {
      inFlight -= 1;
    });

    const behavior = takeBehavior(path);
    if (behavior?.hang) return; // never answer; close() destroys the socket
    if (!match || record.method !== 'GET') {
      return sendJson(res, 404, { success: false, status_message: 'Not a fake TMDB route.' });
    }
    const respond = () => {
      if (res.destroyed) return; // the client gave up while the answer was held
      if (!behavior?.latencyMs) return answer(res, record, behavior);
      const timer = setTimeout(() => {
        timers.delete(timer);
        answer(res, record, behavior);
      }, behavior.latencyMs);
      timers.add(timer);
    };
    if (behavior?.until) void behavior.until.finally(respond);
    else respond();
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  const resetRequests = () => {
    requests.length = 0;
    maxInFlight = inFlight;
  };

  return {
    baseUrl: `http://127.0.0.1:${port}/3`,
    requests,
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    count(path?: string) {
      return path === undefined ? requests.length : requests.filter((r) => r.path === path).length;
    },
    setScore(mediaType, id, score) {
      scores.set(pathOf(mediaType, id), { ...score });
    },
    setDetails(mediaType, id, value) {
      details.set(pathOf(mediaType, id), { ...value });
    },
    setRecommendations(mediaType, id, targets) {
      recommendations.set(pathOf(mediaType, id), [...targets]);
    },
    behave(behavior, target) {
      const key = target ? pathOf(target.mediaType, target.id) : GLOBAL;
      if (behavior) behaviors.set(key, { ...behavior });
      else behaviors.delete(key);
    },
    resetRequests,
    reset() {
      scores.clear();
      details.clear();
      recommendations.clear();
      behaviors.clear();
      resetRequests();
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

/** A details answer in TMDB's own field names (TV and films name them differently). */
function detailsBody(mediaType: FakeMediaType, details: FakeDetails | undefined) {
  if (!details) return {};
  const tv = mediaType === 'TV';
  return {
    [tv ? 'name' : 'title']: details.name,
    [tv ? 'original_name' : 'original_title']: details.originalName ?? details.name,
    tagline: details.tagline ?? '',
    overview: details.overview ?? '',
    [tv ? 'first_air_date' : 'release_date']: details.date ?? '',
    genres: (details.genres ?? []).map((name, i) => ({ id: i + 1, name })),
    poster_path: details.posterPath ?? null,
  };
}
