import { parseGlobalId, parseTitleCursor, toGlobalId, toTitleCursor } from '../../src/graphql/ids';

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

  it('round-trips title cursors and rejects others', () => {
    expect(parseTitleCursor(toTitleCursor('my-name'))).toBe('my-name');
    expect(parseTitleCursor(toGlobalId('Title', 'my-name'))).toBeNull();
    expect(parseTitleCursor('abc')).toBeNull();
  });
});
