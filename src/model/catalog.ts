import type { FactRecord } from './fact';
import type { RecommendationRecord } from './recommendation';
import type { TitleRecord } from './title';

/** Curated content as a whole: titles with their facts and recommendations (the seed, imports). */
export interface Catalog {
  titles: TitleRecord[];
  facts: FactRecord[];
  recommendations: RecommendationRecord[];
}

export interface CatalogReport {
  titles: number;
  facts: number;
  recommendations: number;
}
