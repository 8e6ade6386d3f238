import type { CuratedTitle } from './curated-title';

/** Curated content as a whole: title aggregates (the seed, catalog files, imports). */
export interface Catalog {
  titles: CuratedTitle[];
}

/** What writing a catalog did, per title. */
export interface CatalogReport {
  created: string[];
  updated: string[];
  unchanged: string[];
}
