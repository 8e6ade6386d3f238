import http from 'node:http';
import https from 'node:https';
import type { AxiosInstance, AxiosStatic } from 'axios';
import { z } from 'zod';
import type { Config } from '../config';
import type { MediaType } from '../model';
import { TmdbError } from './errors';
import type { TmdbTitleDetails, TmdbTitleRef, TmdbVotes } from './types';

/**
 * axios with its dependencies takes some 3 MiB of heap, and a server without
 * TMDB credentials never makes a request: loaded with the first request, not
 * at start (RSS at rest, docs/performance.md).
 */
function loadAxios(): AxiosStatic {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('axios') as AxiosStatic;
}

export type TmdbClientConfig = Pick<Config['tmdb'], 'baseUrl' | 'apiToken' | 'apiKey'>;

/** The part of TMDB's /tv/{id} and /movie/{id} responses we use; anything else is ignored. */
const votesSchema = z.object({
  vote_average: z.number().finite().min(0).max(10),
  vote_count: z.number().int().nonnegative(),
});

/** The part of /tv/{id} and /movie/{id} a title import uses (TV names it `name`, films `title`). */
const detailsSchema = votesSchema.extend({
  id: z.number().int().positive(),
  name: z.string().min(1).optional(),
  title: z.string().min(1).optional(),
  original_name: z.string().nullish(),
  original_title: z.string().nullish(),
  tagline: z.string().nullish(),
  overview: z.string().nullish(),
  first_air_date: z.string().nullish(),
  release_date: z.string().nullish(),
  genres: z.array(z.object({ id: z.number(), name: z.string().min(1) })).default([]),
  poster_path: z
    .string()
    .regex(/^\/[A-Za-z0-9._-]{1,100}$/)
    .nullish(),
});

/** /tv/{id}/recommendations and /movie/{id}/recommendations: the first page of results. */
const recommendationsSchema = z.object({
  results: z.array(
    z.object({ id: z.number().int().positive(), media_type: z.enum(['tv', 'movie']).optional() }),
  ),
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
  /** Made on the first request (see loadAxios). */
  private axiosInstance: AxiosInstance | undefined;
  private readonly agents = {
    http: new http.Agent({ keepAlive: true }),
    https: new https.Agent({ keepAlive: true }),
  };

  constructor(private readonly config: TmdbClientConfig) {}

  private get http(): AxiosInstance {
    this.axiosInstance ??= this.createHttp();
    return this.axiosInstance;
  }

  private createHttp(): AxiosInstance {
    // Prefer the v4 token (a header) over the v3 key (a query parameter that
    // ends up in URLs); send only one of them.
    const { apiToken, apiKey } = this.config;
    const bearer = apiToken ? { Authorization: `Bearer ${apiToken}` } : {};
    return loadAxios().create({
      headers: { Accept: 'application/json', ...bearer },
      params: !apiToken && apiKey ? { api_key: apiKey } : undefined,
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
    const data = await this.getJson(path, votesSchema, signal);
    return { voteAverage: data.vote_average, voteCount: data.vote_count };
  }

  /** GET /tv/{id} or /movie/{id}: what a title import takes from TMDB, validated. */
  async fetchDetails(
    mediaType: MediaType,
    tmdbId: number,
    signal?: AbortSignal,
  ): Promise<TmdbTitleDetails> {
    const path = tmdbPath(mediaType, tmdbId);
    const data = await this.getJson(path, detailsSchema, signal);
    const name = mediaType === 'TV' ? data.name : data.title;
    if (!name) throw new TmdbError('malformed', path, { code: 'NO_NAME' });
    const date = mediaType === 'TV' ? data.first_air_date : data.release_date;
    const year = date && /^\d{4}-/.test(date) ? Number(date.slice(0, 4)) : null;
    const text = (value: string | null | undefined) => (value?.trim() ? value.trim() : null);
    return {
      tmdbId,
      mediaType,
      name,
      originalName: text(mediaType === 'TV' ? data.original_name : data.original_title),
      tagline: text(data.tagline),
      overview: text(data.overview),
      year,
      genres: data.genres.map((genre) => genre.name),
      posterPath: data.poster_path ?? null,
      voteAverage: data.vote_average,
      voteCount: data.vote_count,
    };
  }

  /** GET /{tv|movie}/{id}/recommendations: the titles TMDB recommends, in its order. */
  async fetchRecommendations(
    mediaType: MediaType,
    tmdbId: number,
    signal?: AbortSignal,
  ): Promise<TmdbTitleRef[]> {
    const path = `${tmdbPath(mediaType, tmdbId)}/recommendations`;
    const data = await this.getJson(path, recommendationsSchema, signal);
    return data.results.map((result) => ({
      tmdbId: result.id,
      mediaType: result.media_type ? (result.media_type === 'tv' ? 'TV' : 'MOVIE') : mediaType,
    }));
  }

  /** One GET, its status mapped to TmdbError, its body validated by `schema` ('malformed' if not). */
  private async getJson<T>(path: string, schema: z.ZodType<T>, signal?: AbortSignal): Promise<T> {
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
    const parsed = schema.safeParse(response.data);
    if (!parsed.success) throw new TmdbError('malformed', path, { status: response.status });
    return parsed.data;
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
  if (loadAxios().isCancel(error) || safeCode === 'ERR_CANCELED')
    return new TmdbError('cancelled', path);
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
