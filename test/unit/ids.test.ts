import {
  parseAnyGlobalId,
  parseGlobalId,
  parseTitleCursor,
  recommendationKey,
  toGlobalId,
  toTitleCursor,
} from '../../src/graphql/schema/node/ids';

describe('global ids', () => {
  it('round-trips and keeps the type', () => {
    const id = toGlobalId('Title', 'the-glory');
    expect(parseGlobalId('Title', id)).toBe('the-glory');
    expect(parseGlobalId('Fact', id)).toBeNull();
  });

  it.each([
    '',
    'not base64!',
    toGlobalId('Title', 'x').slice(0, 3),
    Buffer.from('Title:{"$gt":1}').toString('base64url'),
  ])('rejects %j', (bad) => {
    expect(parseGlobalId('Title', bad)).toBeNull();
  });

  it('accepts only the exact id toGlobalId writes: no extra character, no padding', () => {
    const glory = toGlobalId('Title', 'the-glory');
    expect(glory).toBe('VGl0bGU6dGhlLWdsb3J5');
    for (const bad of [`${glory}A`, `${glory}=`]) {
      // base64url decoding ignores these, so they decode to the same text
      expect(Buffer.from(bad, 'base64url').toString()).toBe('Title:the-glory');
      expect(parseGlobalId('Title', bad)).toBeNull();
    }
  });

  it("names the type of any well-formed id, with each type's own key shape", () => {
    expect(parseAnyGlobalId(toGlobalId('AccuracySummary', 'fact:the-glory-bts-1'))).toEqual({
      type: 'AccuracySummary',
      key: 'fact:the-glory-bts-1',
    });
    const rec = recommendationKey('the-glory', 'vincenzo');
    expect(parseAnyGlobalId(toGlobalId('Recommendation', rec))).toEqual({
      type: 'Recommendation',
      key: 'the-glory.vincenzo',
    });
    expect(parseAnyGlobalId(toGlobalId('AccuracySummary', 'rating:x'))).toBeNull();
    expect(parseAnyGlobalId(toGlobalId('Recommendation', 'the-glory'))).toBeNull();
    expect(parseAnyGlobalId(Buffer.from('Nope:x').toString('base64url'))).toBeNull();
  });

  it('round-trips title cursors and rejects others', () => {
    expect(parseTitleCursor(toTitleCursor('my-name'))).toBe('my-name');
    expect(parseTitleCursor(toGlobalId('Title', 'my-name'))).toBeNull();
    expect(parseTitleCursor('abc')).toBeNull();
    expect(parseTitleCursor(`${toTitleCursor('my-name')}A`)).toBeNull();
  });
});
