import type { Catalog, ReportRecord, ReviewResolution } from '../model';
import {
  type FactReviewRecord,
  type ReviewRecords,
  reviewRecordOf,
  type Store,
} from '../store/port';

const PAGE = 100;

/** Every title aggregate of the store, in slug order: what catalog:export writes. */
export async function readCatalog(store: Store): Promise<Catalog> {
  const titles: Catalog['titles'] = [];
  let afterSlug: string | null = null;
  for (;;) {
    const page = await store.listTitles({ first: PAGE, afterSlug });
    const curated = await store.curatedTitlesByIds(page.titles.map((t) => t.id));
    for (const title of curated) if (title) titles.push(title);
    if (!page.hasNextPage || page.titles.length === 0) return { titles };
    afterSlug = page.titles[page.titles.length - 1].slug;
  }
}

/** Fact ids asked per reviewsOfFacts call. */
const FACTS_PER_READ = 500;

/**
 * The review records of the catalog's titles, for its file (version 2):
 * every report and resolution of those titles, and the review each of their
 * facts keeps (reviewRecordOf: only those with something of their own), the
 * facts a review removed included (their reports and resolutions name them).
 */
export async function readReviewRecords(
  store: Pick<Store, 'allReports' | 'allResolutions' | 'reviewsOfFacts'>,
  catalog: Catalog,
): Promise<ReviewRecords> {
  const titleOfFact = new Map<string, string>();
  for (const { title, facts } of catalog.titles) {
    for (const fact of facts) titleOfFact.set(fact.id, title.id);
  }
  const listed = new Set(catalog.titles.map(({ title }) => title.id));
  const reports: ReportRecord[] = [];
  const resolutions: ReviewResolution[] = [];
  const reviews: FactReviewRecord[] = [];
  for await (const report of store.allReports()) {
    if (!listed.has(report.titleId)) continue;
    reports.push(report);
    if (!titleOfFact.has(report.factId)) titleOfFact.set(report.factId, report.titleId);
  }
  for await (const resolution of store.allResolutions()) {
    if (!listed.has(resolution.titleId)) continue;
    resolutions.push(resolution);
    if (!titleOfFact.has(resolution.factId)) {
      titleOfFact.set(resolution.factId, resolution.titleId);
    }
  }
  const factIds = [...titleOfFact.keys()];
  for (let i = 0; i < factIds.length; i += FACTS_PER_READ) {
    const ids = factIds.slice(i, i + FACTS_PER_READ);
    const kept = await store.reviewsOfFacts(ids);
    ids.forEach((factId, j) => {
      const record = reviewRecordOf(factId, titleOfFact.get(factId)!, kept[j]);
      if (record) reviews.push(record);
    });
  }
  return { reports, resolutions, reviews };
}
