/** The MongoDB store's collection names (schema.ts says what each holds). */
export const COLLECTION = {
  titles: 'titles',
  ratings: 'ratings',
  aggregates: 'aggregates',
  changes: 'changes',
  rateLimits: 'rate_limits',
  reports: 'reports',
  factReviews: 'fact_reviews',
  reviewResolutions: 'review_resolutions',
  settings: 'settings',
} as const;

/**
 * Collections of the first document model, read once by the upgrade
 * (upgrade.ts) into the title documents and no longer written.
 */
export const LEGACY_COLLECTION = { facts: 'facts', recommendations: 'recommendations' } as const;
