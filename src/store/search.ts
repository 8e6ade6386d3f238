/**
 * Case-insensitive "name contains" from a client string. Every regex
 * metacharacter is escaped, so the client's text is matched literally and can
 * never act as a pattern (no ReDoS, no injection).
 */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function literalSubstringPattern(search: string): RegExp {
  return new RegExp(escapeRegExp(search), 'i');
}
