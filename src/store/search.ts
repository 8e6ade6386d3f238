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

/** How many characters a search needs for an index of trigrams to find its matches. */
export const TRIGRAM_LENGTH = 3;

/**
 * The distinct trigrams (runs of three characters, by code point) of a
 * normalised text: a name holds every trigram of any search it contains, so
 * an index of names' trigrams narrows a search of 3+ characters to the names
 * holding all of its trigrams (then checked as a substring).
 */
export function trigramsOf(normalized: string): string[] {
  const chars = [...normalized];
  const grams = new Set<string>();
  for (let i = 0; i + TRIGRAM_LENGTH <= chars.length; i++) {
    grams.add(chars.slice(i, i + TRIGRAM_LENGTH).join(''));
  }
  return [...grams];
}
