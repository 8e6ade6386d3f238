/** A "Watch Next" entry: from one title's page to another title, with a label and a reason. */
export interface RecommendationRecord {
  titleId: string;
  recommendedTitleId: string;
  /** 1-based order within the title's "Watch Next" list. */
  position: number;
  label: string;
  /** Why to watch it; empty ("") until an editor writes one (an import leaves it empty). */
  reason: string;
}

/** A page recommends at most this many titles. */
export const MAX_RECOMMENDATIONS = 20;
