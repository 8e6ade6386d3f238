import stringify from 'safe-stable-stringify';
import {
  type Catalog,
  type CatalogReport,
  ChangeOperation,
  type CuratedTitle,
  notReviewed,
  ReportState,
  replaceCuratedTitle,
  type TitleEditResult,
} from '../model';
import { newStoreId } from '../store/ids';
import type { ReviewRecords, Store, TitleEdit } from '../store/port';
import { CatalogFileError } from './format';

/**
 * Writes a catalog into a store: every title in it becomes exactly what the
 * catalog says (fields, slug history, facts, recommendations); titles not in
 * it are left alone, ratings are never touched, and a title's TMDB snapshot
 * is kept when it has one. A title that already equals its entry is not
 * written, so a second import of the same file changes nothing (and says so).
 *
 * With `reviews` (a version-2 file's review records), each record becomes
 * what the file says (reports and resolutions by id, fact reviews by fact),
 * through Store.putReviewRecords after the titles, so a review of a fact the
 * import creates finds it; records not in the file are left alone, and one
 * already as in the file is not written. The store derives the report
 * tallies and the queue from them (with its own ratings and threshold).
 *
 * Everything is checked before the first write: the file (by its schema),
 * then what it refers to in the store (recommended titles outside the file
 * must exist; a slug must not resolve to another title, nor a TMDB identity
 * belong to one; a report id must not be another fact's there, nor an OPEN
 * report meet another OPEN one of its voter and fact). Then the store
 * applies the whole catalog as one batch (see Store.editTitles: one
 * transaction on SQLite; on MongoDB one atomic write per title, and an
 * interrupted import is completed by running it again), then the review
 * records as another (see Store.putReviewRecords).
 */
export async function writeCatalog(
  store: CatalogStore,
  catalog: Catalog,
  options: { dryRun?: boolean; now?: Date; reviews?: ReviewRecords } = {},
): Promise<CatalogImportReport> {
  const reviews = options.reviews ?? NO_REVIEWS;
  const issues = [
    ...(await checkReferences(store, catalog)),
    ...(await checkReviewRecords(store, catalog, reviews)),
  ];
  if (issues.length > 0) throw new CatalogFileError(issues);
  const now = options.now ?? new Date();
  const outcome = new Map<string, 'created' | 'updated' | 'unchanged'>();
  const edits: TitleEdit[] = catalog.titles.map((incoming) => ({
    titleId: incoming.title.id,
    apply(current: CuratedTitle | null): TitleEditResult | null {
      const result = replaceCuratedTitle(
        { now, newId: newStoreId, operation: ChangeOperation.IMPORT_CATALOG },
        current,
        incoming,
      );
      outcome.set(incoming.title.id, !result ? 'unchanged' : current ? 'updated' : 'created');
      return result;
    },
  }));
  if (options.dryRun) {
    const currents = await store.curatedTitlesByIds(edits.map((edit) => edit.titleId));
    edits.forEach((edit, i) => edit.apply(currents[i]));
  } else if (edits.length > 0) {
    await store.editTitles(edits);
  }
  const changed = await changedReviewRecords(store, reviews);
  const written = count(changed);
  if (!options.dryRun && written > 0) await store.putReviewRecords(changed);
  const ids = (kind: string) => [...outcome].filter(([, k]) => k === kind).map(([id]) => id);
  return {
    created: ids('created'),
    updated: ids('updated'),
    unchanged: ids('unchanged'),
    ...(options.reviews ? { reviewRecords: { written, unchanged: count(reviews) - written } } : {}),
  };
}

/** What writing a catalog did, per title, and of its review records. */
export interface CatalogImportReport extends CatalogReport {
  /**
   * With `reviews` given: those written, and those already as in the file.
   */
  reviewRecords?: { written: number; unchanged: number };
}

const NO_REVIEWS: ReviewRecords = { reports: [], resolutions: [], reviews: [] };

const count = (records: ReviewRecords) =>
  records.reports.length + records.resolutions.length + records.reviews.length;

/** What writing a catalog needs of a store. */
export type CatalogStore = Pick<
  Store,
  | 'titlesByIds'
  | 'titlesBySlugs'
  | 'titlesByTmdbIds'
  | 'curatedTitlesByIds'
  | 'editTitles'
  | 'reportsByIds'
  | 'openReportsOfFacts'
  | 'resolutionsByIds'
  | 'reviewsOfFacts'
  | 'putReviewRecords'
>;

/**
 * A store that holds no titles: what a dry run compares a file with when the
 * embedded store has no file yet (opening one would create it). It takes no
 * writes.
 */
export const EMPTY_STORE: CatalogStore = {
  titlesByIds: async (ids) => ids.map(() => null),
  titlesBySlugs: async (slugs) => slugs.map(() => null),
  titlesByTmdbIds: async (keys) => keys.map(() => null),
  curatedTitlesByIds: async (ids) => ids.map(() => null),
  reportsByIds: async (ids) => ids.map(() => null),
  openReportsOfFacts: async (factIds) => factIds.map(() => []),
  resolutionsByIds: async (ids) => ids.map(() => null),
  reviewsOfFacts: async (factIds) => factIds.map(() => notReviewed()),
  editTitles: async () => {
    throw new Error('EMPTY_STORE takes no writes: it is for dry runs');
  },
  putReviewRecords: async () => {
    throw new Error('EMPTY_STORE takes no writes: it is for dry runs');
  },
};

/**
 * "3 created, 1 updated, 2 unchanged", or "no changes", and with review
 * records "; review records: 5 written, 0 unchanged".
 */
export function describeReport(report: CatalogImportReport): string {
  const records = report.reviewRecords ?? { written: 0, unchanged: 0 };
  const withRecords = records.written + records.unchanged > 0;
  if (report.created.length === 0 && report.updated.length === 0 && records.written === 0) {
    const more = withRecords ? ` and ${records.unchanged} review records` : '';
    return `no changes (${report.unchanged.length} titles${more} already as in the file)`;
  }
  const titles = `${report.created.length} created, ${report.updated.length} updated, ${report.unchanged.length} unchanged`;
  return withRecords
    ? `${titles}; review records: ${records.written} written, ${records.unchanged} unchanged`
    : titles;
}

/**
 * What the file refers to outside itself must be in the store; its slugs and
 * TMDB identities must not belong to another title there.
 */
async function checkReferences(
  store: CatalogStore,
  catalog: Catalog,
): Promise<Array<{ path: string; message: string }>> {
  const inFile = new Set(catalog.titles.map((t) => t.title.id));
  const issues: Array<{ path: string; message: string }> = [];
  const outside = catalog.titles.flatMap((t, i) =>
    t.recommendations
      .map((rec, r) => ({
        id: rec.recommendedTitleId,
        path: `titles[${i}].recommendations[${r}].titleId`,
      }))
      .filter((ref) => !inFile.has(ref.id)),
  );
  const found = await store.titlesByIds(outside.map((ref) => ref.id));
  outside.forEach((ref, i) => {
    if (!found[i])
      issues.push({ path: ref.path, message: `no title "${ref.id}" in the file or the store` });
  });
  const slugs = catalog.titles.flatMap((t, i) => [
    { slug: t.title.slug, owner: t.title.id, path: `titles[${i}].slug` },
    ...t.formerSlugs.map((slug, s) => ({
      slug,
      owner: t.title.id,
      path: `titles[${i}].formerSlugs[${s}]`,
    })),
  ]);
  const holders = await store.titlesBySlugs(slugs.map((s) => s.slug));
  slugs.forEach((s, i) => {
    const holder = holders[i];
    if (holder && holder.id !== s.owner) {
      issues.push({
        path: s.path,
        message: `"${s.slug}" already resolves to the title "${holder.id}" in the store`,
      });
    }
  });
  const identities = catalog.titles.flatMap(({ title }, i) =>
    title.tmdbId === null
      ? []
      : [
          {
            tmdbId: title.tmdbId,
            mediaType: title.mediaType,
            owner: title.id,
            path: `titles[${i}].tmdbId`,
          },
        ],
  );
  const tmdbHolders = await store.titlesByTmdbIds(identities);
  identities.forEach((identity, i) => {
    const holder = tmdbHolders[i];
    if (holder && holder.id !== identity.owner) {
      issues.push({
        path: identity.path,
        message:
          `TMDB ${identity.mediaType} ${identity.tmdbId} already belongs to the title "${holder.id}" ` +
          'in the store; a TMDB identity names one title (clear it there first)',
      });
    }
  });
  return issues;
}

/**
 * The file's review records against the store (what putReviewRecords would
 * refuse, found before anything is written): a report id the store has for
 * another fact; an OPEN report whose voter has another OPEN report of the
 * fact there that the file does not list (listed, the file closes or
 * replaces it).
 */
async function checkReviewRecords(
  store: CatalogStore,
  catalog: Catalog,
  reviews: ReviewRecords,
): Promise<Array<{ path: string; message: string }>> {
  if (reviews.reports.length === 0) return [];
  const path = reportPaths(catalog, reviews);
  const issues: Array<{ path: string; message: string }> = [];
  const stored = await store.reportsByIds(reviews.reports.map((report) => report.id));
  reviews.reports.forEach((report, i) => {
    const there = stored[i];
    if (there && there.factId !== report.factId) {
      issues.push({
        path: `${path(report)}.factId`,
        message: `the report "${report.id}" is of the fact "${there.factId}" in the store: a report id names one report`,
      });
    }
  });
  const listed = new Set(reviews.reports.map((report) => report.id));
  const open = reviews.reports.filter((report) => report.state === ReportState.OPEN);
  const factIds = [...new Set(open.map((report) => report.factId))];
  const openThere = new Map(
    (await store.openReportsOfFacts(factIds)).map((reports, i) => [factIds[i], reports]),
  );
  for (const report of open) {
    const other = openThere
      .get(report.factId)
      ?.find((r) => r.voterId === report.voterId && r.id !== report.id && !listed.has(r.id));
    if (other) {
      issues.push({
        path: `${path(report)}.state`,
        message:
          `the voter "${report.voterId}" already has the OPEN report "${other.id}" of this fact ` +
          'in the store (one OPEN report per voter and fact): list that one too, or leave this one out',
      });
    }
  }
  return issues;
}

/** "titles[2].reports[0]": where a report is in the file (records are listed under their titles, in order). */
function reportPaths(catalog: Catalog, reviews: ReviewRecords) {
  const titleIndex = new Map(catalog.titles.map(({ title }, i) => [title.id, i]));
  const paths = new Map<string, string>();
  const perTitle = new Map<string, number>();
  for (const report of reviews.reports) {
    const n = perTitle.get(report.titleId) ?? 0;
    perTitle.set(report.titleId, n + 1);
    paths.set(report.id, `titles[${titleIndex.get(report.titleId) ?? '?'}].reports[${n}]`);
  }
  return (report: { id: string }) => paths.get(report.id) ?? `report "${report.id}"`;
}

/** Review records read per store call when comparing a file with the store. */
const RECORDS_PER_READ = 500;

/** The file's review records that differ from the store's (missing there, or another content). */
async function changedReviewRecords(
  store: CatalogStore,
  reviews: ReviewRecords,
): Promise<ReviewRecords> {
  const differ = async <T, S>(
    records: readonly T[],
    read: (ids: string[]) => Promise<Array<S | null>>,
    key: (record: T) => string,
    same: (record: T, stored: S) => boolean,
  ): Promise<T[]> => {
    const changed: T[] = [];
    for (let i = 0; i < records.length; i += RECORDS_PER_READ) {
      const batch = records.slice(i, i + RECORDS_PER_READ);
      const stored = await read(batch.map(key));
      batch.forEach((record, j) => {
        const there = stored[j];
        if (there === null || !same(record, there)) changed.push(record);
      });
    }
    return changed;
  };
  const equal = (a: unknown, b: unknown) => stringify(a) === stringify(b);
  return {
    reports: await differ(
      reviews.reports,
      (ids) => store.reportsByIds(ids),
      (r) => r.id,
      equal,
    ),
    resolutions: await differ(
      reviews.resolutions,
      (ids) => store.resolutionsByIds(ids),
      (r) => r.id,
      equal,
    ),
    reviews: await differ(
      reviews.reviews,
      (ids) => store.reviewsOfFacts(ids),
      (r) => r.factId,
      (record, { reports: _derived, ...kept }) => equal(record.review, kept),
    ),
  };
}
