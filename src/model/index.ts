/**
 * The domain: records, enums and their invariants. Every other layer (store
 * adapters, GraphQL, TMDB, accuracy, curation, catalog) depends on this
 * module; it depends on none.
 */
export * from './title';
export * from './fact';
export * from './recommendation';
export * from './rating';
export * from './aggregate';
export * from './verdict';
export * from './change';
export * from './errors';
export * from './curated-title';
export * from './moderation';
export * from './catalog';
