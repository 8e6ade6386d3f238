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

const MAX_LABEL_LENGTH = 60;

/**
 * The label of an imported "Watch Next" entry: "More <genre>" from the first
 * genre (in the page title's order) the two titles share; else "More
 * <the recommended title's first genre>"; else "More like this".
 */
export function recommendationLabel(
  pageGenres: readonly string[],
  recommendedGenres: readonly string[],
): string {
  const genre = pageGenres.find((g) => recommendedGenres.includes(g)) ?? recommendedGenres[0];
  return genre ? `More ${genre}`.slice(0, MAX_LABEL_LENGTH) : 'More like this';
}
