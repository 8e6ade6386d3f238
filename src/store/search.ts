/**
 * Builds the case-insensitive "name contains" pattern from a client string.
 * Every regex metacharacter is escaped, so the client's text is matched
 * literally and can never act as a pattern (no ReDoS, no injection).
 */
export function literalSubstringPattern(search: string): RegExp {
  return new RegExp(search.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i');
}
