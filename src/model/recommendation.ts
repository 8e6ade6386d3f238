/** A "Watch Next" entry: from one title's page to another title, with a label and a reason. */
export interface RecommendationRecord {
  titleId: string;
  recommendedTitleId: string;
  /** 1-based order within the title's "Watch Next" list. */
  position: number;
  label: string;
  reason: string;
}
