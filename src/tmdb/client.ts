import http from 'node:http';
import https from 'node:https';
import axios, { type AxiosInstance } from 'axios';
import { z } from 'zod';
import type { Config } from '../config';
import type { MediaType } from '../model';
import { TmdbError } from './errors';
import type { TmdbVotes } from './types';

export type TmdbClientConfig = Pick<Config['tmdb'], 'baseUrl' | 'apiToken' | 'apiKey'>;

/** The part of TMDB's /tv/{id} and /movie/{id} responses we use; anything else is ignored. */
const votesSchema = z.object({
  vote_average: z.number().finite().min(0).max(10),
  vote_count: z.number().int().nonnegative(),
});

/** Network error codes are short upper-case identifiers; anything else is not copied into logs. */
const SAFE_CODE = /^[A-Z][A-Z0-9_]{1,40}$/;

/**
 * One HTTP call to TMDB API v3 per method call: no retries, no caching, no
 * timeouts of its own (the resilience layer owns those and passes an abort
 * signal). Every failure becomes a TmdbError built from safe fields, so no
 * caller ever holds an axios error with our credentials in it.
 */
export class TmdbClient {
  private readonly http: AxiosInstance;
  private readonly agents = {
    http: new http.Agent({ keepAlive: true }),
    https: new https.Agent({ keepAlive: true }),
  };

  constructor(private readonly config: TmdbClientConfig) {
    // Prefer the v4 token (a header) over the v3 key (a query parameter that
    // ends up in URLs); send only one of them.
    const bearer = config.apiToken ? { Authorization: `Bearer ${config.apiToken}` } : {};
    const apiKey = !config.apiToken && config.apiKey ? { api_key: config.apiKey } : undefined;
    this.http = axios.create({
      headers: { Accept: 'application/json', ...bearer },
      params: apiKey,
      // Statuses are mapped below; axios should only throw when there is no answer.
      validateStatus: () => true,
      maxRedirects: 0,
      httpAgent: this.agents.http,
      httpsAgent: this.agents.https,
    });
  }

  /** Without credentials TMDB answers 401 to everything, so callers should not call at all. */
  get hasCredentials(): boolean {
    return Boolean(this.config.apiToken || this.config.apiKey);
  }

  /** GET /tv/{id} or /movie/{id} and return its validated vote numbers. */
  async fetchVotes(mediaType: MediaType, tmdbId: number, signal?: AbortSignal): Promise<TmdbVotes> {
    const path = tmdbPath(mediaType, tmdbId);
    let response;
    try {
      response = await this.http.get<unknown>(`${this.config.baseUrl}${path}`, { signal });
    } catch (error) {
      throw toTransportError(error, path);
    }
    if (response.status === 429) {
      throw new TmdbError('throttled', path, {
        status: 429,
        retryAfterMs: parseRetryAfter(response.headers['retry-after']),
      });
    }
    if (response.status < 200 || response.status >= 300) {
      throw new TmdbError('http', path, { status: response.status });
    }
    const parsed = votesSchema.safeParse(response.data);
    if (!parsed.success) throw new TmdbError('malformed', path, { status: response.status });
    return { voteAverage: parsed.data.vote_average, voteCount: parsed.data.vote_count };
  }

  /** Drops kept-alive sockets so a closing process (or a test) has nothing left open. */
  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}

/** The v3 resource of a title, relative to the base URL; also what logs name a call by. */
export function tmdbPath(mediaType: MediaType, tmdbId: number): string {
  return `/${mediaType === 'TV' ? 'tv' : 'movie'}/${encodeURIComponent(String(tmdbId))}`;
}

/** Maps "no HTTP answer" errors to a TmdbError, keeping only the error code. */
function toTransportError(error: unknown, path: string): TmdbError {
  const code = (error as { code?: unknown } | null)?.code;
  const safeCode = typeof code === 'string' && SAFE_CODE.test(code) ? code : undefined;
  if (axios.isCancel(error) || safeCode === 'ERR_CANCELED') return new TmdbError('cancelled', path);
  if (safeCode === 'ECONNABORTED' || safeCode === 'ETIMEDOUT') {
    return new TmdbError('timeout', path, { code: safeCode });
  }
  return new TmdbError('network', path, { code: safeCode });
}

/**
 * Retry-After is either delta-seconds or an HTTP date (RFC 9110 10.2.3).
 * Returns milliseconds from now, or undefined when absent or unreadable.
 */
export function parseRetryAfter(value: unknown, nowMs: number = Date.now()): number | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}
