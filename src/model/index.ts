/**
 * The domain: records, enums and their invariants. Every other layer (store
 * adapters, GraphQL, TMDB, accuracy) depends on this module; it depends on none.
 */
export * from './title';
export * from './fact';
export * from './recommendation';
export * from './rating';
export * from './aggregate';
export * from './verdict';
export * from './catalog';
