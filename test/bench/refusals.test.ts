import { Lexer, Source, TokenKind } from 'graphql';
import { ABUSIVE_DOCUMENTS, harmlessTwin } from '../../scripts/bench/refusals';

/** GraphQL tokens in a document, as graphql-js's lexer reads them. */
function tokens(document: string): number {
  const lexer = new Lexer(new Source(document));
  let count = 0;
  while (lexer.advance().kind !== TokenKind.EOF) count++;
  return count;
}

describe('bench refusals', () => {
  it('compares each abusive document with a harmless one of exactly its size', () => {
    for (const document of Object.values(ABUSIVE_DOCUMENTS)) {
      const twin = harmlessTwin(document);
      expect(Buffer.byteLength(twin)).toBe(Buffer.byteLength(document));
      expect(twin).toMatch(/^#x+\n\{ __typename \}$/);
    }
  });

  it('uses documents over the 1,000-token parser limit, as issue 9 reported them', () => {
    for (const document of Object.values(ABUSIVE_DOCUMENTS)) {
      expect(tokens(document)).toBeGreaterThan(1000);
    }
  });
});
