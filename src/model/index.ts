/**
 * The domain: records, enums and their invariants. Every other layer (store
 * adapters, GraphQL, TMDB, ratings, curation, catalog) depends on this
 * module; it depends on none.
 */
export * from './title';
export * from './slug';
export * from './fact';
export * from './recommendation';
export * from './rating';
export * from './aggregate';
export * from './verdict';
export * from './accuracy-summary';
export * from './rating-scale';
export * from './change';
export * from './errors';
export * from './curated-title';
export * from './moderation';
export * from './report';
export * from './review';
export * from './catalog';
