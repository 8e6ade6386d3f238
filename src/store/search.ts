/**
 * For a "name contains" regex from a client string (MongoDB): every regex
 * metacharacter is escaped, so the client's text is matched literally and can
 * never act as a pattern (no ReDoS, no injection).
 */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The form of a name (and of a search text) that search compares: NFKC folds
 * compatibility forms (full-width "ｇｌｏｒｙ", ligatures) into plain ones,
 * then lower case makes it case-insensitive. Both sides are normalised the
 * same way, so a substring of one is found in the other.
 */
export function normalizeForSearch(text: string): string {
  return text.normalize('NFKC').toLowerCase();
}
