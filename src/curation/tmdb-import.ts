import {
  ChangeOperation,
  importFromTmdb,
  type MediaType,
  NotFoundError,
  pickSlug,
  recommendationLabel,
  SlugTakenError,
  type TitleRecord,
  TMDB_OWNED_FIELDS,
  UpstreamUnavailableError,
} from '../model';
import { newStoreId } from '../store/ids';
import type { Store, TitleEdit } from '../store/port';
import { TmdbError } from '../tmdb/errors';
import type { TmdbTitleSource } from '../tmdb/titles';
import type { TmdbTitleDetails } from '../tmdb/types';
import type { CurationService } from './service';

/** At most this many of TMDB's recommendations are imported at once. */
export const MAX_IMPORTED_RECOMMENDATIONS = 10;
const SLUG_ATTEMPTS = 3;

export interface TmdbImportResult {
  title: TitleRecord;
  /** false when the title existed and was refreshed. */
  created: boolean;
  /** The recommended titles imported with it, in TMDB's order. */
  recommendations: TitleRecord[];
}

/**
 * importTitleFromTmdb: everything is fetched from TMDB first (the title's
 * details, its recommendations and theirs); only then is anything written,
 * in one Store.editTitles batch: the recommended titles first, then the title
 * with its new "Watch Next" entries. So a TMDB failure writes nothing, and
 * on MongoDB (one atomic write per title) a crash between titles leaves only
 * complete titles, which running the import again finds by their TMDB id and
 * completes.
 */
export class TmdbImporter {
  constructor(
    private readonly store: Store,
    private readonly curation: CurationService,
    private readonly tmdb: TmdbTitleSource,
  ) {}

  async importTitle(
    tmdbId: number,
    mediaType: MediaType,
    recommendations: number,
  ): Promise<TmdbImportResult> {
    if (!this.tmdb.enabled) {
      throw new UpstreamUnavailableError(
        'TMDB is not configured on this server: set TMDB_API_TOKEN (or TMDB_API_KEY) to import titles',
        'TMDB_NOT_CONFIGURED',
      );
    }
    const { main, recommended } = await this.fetch(tmdbId, mediaType, recommendations);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.write(main, recommended);
      } catch (error) {
        if (!(error instanceof SlugTakenError) || attempt >= SLUG_ATTEMPTS) throw error;
      }
    }
  }

  /** Every TMDB call of the import, before any write. */
  private async fetch(
    tmdbId: number,
    mediaType: MediaType,
    count: number,
  ): Promise<{ main: TmdbTitleDetails; recommended: TmdbTitleDetails[] }> {
    try {
      const main = await this.tmdb.details(mediaType, tmdbId);
      if (count === 0) return { main, recommended: [] };
      const refs = (await this.tmdb.recommendations(mediaType, tmdbId))
        .filter((ref, i, all) => {
          const key = (r: typeof ref) => `${r.mediaType}:${r.tmdbId}`;
          return (
            key(ref) !== `${mediaType}:${tmdbId}` && all.findIndex((r) => key(r) === key(ref)) === i
          );
        })
        .slice(0, count);
      const recommended = await Promise.all(
        refs.map((ref) => this.tmdb.details(ref.mediaType, ref.tmdbId)),
      );
      return { main, recommended };
    } catch (error) {
      if (error instanceof TmdbError && error.kind === 'http' && error.status === 404) {
        throw new NotFoundError(`TMDB has no ${mediaType} title with this tmdbId`, 'tmdbId');
      }
      if (error instanceof TmdbError) {
        throw new UpstreamUnavailableError(
          `TMDB could not be read (${error.kind}${error.status ? ` ${error.status}` : ''}); nothing was imported, retry later`,
          error.kind,
        );
      }
      throw error;
    }
  }

  /** One batch: recommended titles first, the title last with its new "Watch Next" entries. */
  private async write(
    main: TmdbTitleDetails,
    recommended: TmdbTitleDetails[],
  ): Promise<TmdbImportResult> {
    const all = [...recommended, main];
    const existing = await this.store.titlesByTmdbIds(all);
    const picked = new Set<string>();
    // A slug picked for another new title of this batch is taken too.
    const lookup = async (slugs: readonly string[]) =>
      (await this.store.titlesBySlugs(slugs)).map((title, i) =>
        picked.has(slugs[i]) ? ({ id: '' } as TitleRecord) : title,
      );
    const targets: Array<{ id: string; slug: string; details: TmdbTitleDetails }> = [];
    for (const [i, details] of all.entries()) {
      const id = existing[i]?.id ?? newStoreId();
      const slug = await pickSlug(lookup, details.name, details.year, existing[i]?.id ?? null);
      picked.add(slug);
      targets.push({ id, slug, details });
    }
    const ctx = this.curation.context(ChangeOperation.IMPORT_FROM_TMDB);
    const fetchedAt = ctx.now;
    const mainTarget = targets[targets.length - 1];
    const edits: TitleEdit[] = targets.map(({ id, slug, details }) => ({
      titleId: id,
      apply: (current) =>
        importFromTmdb(
          ctx,
          current,
          {
            id,
            slug,
            tmdbId: details.tmdbId,
            mediaType: details.mediaType,
            content: Object.fromEntries(
              TMDB_OWNED_FIELDS.map((field) => [field, details[field]]),
            ) as Pick<TitleRecord, (typeof TMDB_OWNED_FIELDS)[number]>,
            snapshot: {
              voteAverage: details.voteAverage,
              voteCount: details.voteCount,
              fetchedAt,
            },
          },
          id === mainTarget.id
            ? targets.slice(0, -1).map((rec) => ({
                recommendedTitleId: rec.id,
                label: recommendationLabel(main.genres, rec.details.genres),
              }))
            : [],
        ),
    }));
    const stored = await this.curation.edit(...edits);
    return {
      title: stored[stored.length - 1].title,
      created: existing[existing.length - 1] === null,
      recommendations: stored.slice(0, -1).map((title) => title.title),
    };
  }
}
