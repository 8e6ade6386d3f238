import { BSON } from 'mongodb';
import {
  aggregateIncrement,
  assertStrings,
  ratingUpsert,
  searchFilter,
  toAggregate,
  toTitle,
  afterCursor,
  curatedFields,
  nameSearchFields,
  toCuratedTitle,
} from '../../src/store/mongo/documents';
import { loadCatalog } from '../../src/seed/catalog';
import { aggregateOf } from '../../src/model';
import { type RatingWrite } from '../../src/store/port';

describe('aggregateIncrement', () => {
  it('counts a first rating', () => {
    expect(aggregateIncrement(null, 3)).toEqual({
      count: 1,
      sum: 3,
      d1: 0,
      d2: 0,
      d3: 1,
      d4: 0,
      d5: 0,
    });
  });

  it('moves a re-rating between buckets without counting it again', () => {
    expect(aggregateIncrement(5, 2)).toEqual({
      count: 0,
      sum: -3,
      d1: 0,
      d2: 1,
      d3: 0,
      d4: 0,
      d5: -1,
    });
    expect(aggregateIncrement(4, 4)).toEqual({
      count: 0,
      sum: 0,
      d1: 0,
      d2: 0,
      d3: 0,
      d4: 0,
      d5: 0,
    });
  });

  it('telescopes: any order of a voter sequence of deltas sums to the final state', () => {
    // voter a: 3 -> 5 -> 1; voter b: 2; applied in a scrambled order.
    const deltas = [
      aggregateIncrement(5, 1),
      aggregateIncrement(null, 2),
      aggregateIncrement(null, 3),
      aggregateIncrement(3, 5),
    ];
    const total = deltas.reduce(
      (acc, d) => ({
        count: acc.count + d.count,
        sum: acc.sum + d.sum,
        d1: acc.d1 + d.d1,
        d2: acc.d2 + d.d2,
        d3: acc.d3 + d.d3,
        d4: acc.d4 + d.d4,
        d5: acc.d5 + d.d5,
      }),
      { count: 0, sum: 0, d1: 0, d2: 0, d3: 0, d4: 0, d5: 0 },
    );
    expect(toAggregate({ _id: 'k', ...total })).toEqual(aggregateOf('k', [1, 2]));
  });

  it.each([0, 6, 2.5, Number.NaN, '3'])('rejects the score %p', (score) => {
    expect(() => aggregateIncrement(null, score as number)).toThrow(RangeError);
  });
});

describe('toAggregate', () => {
  it('reads flat counters, missing ones as zero', () => {
    expect(toAggregate({ _id: 'fact:f', count: 2, sum: 6, d3: 2 })).toEqual({
      targetKey: 'fact:f',
      count: 2,
      sum: 6,
      distribution: [0, 0, 2, 0, 0],
    });
  });
});

describe('searchFilter', () => {
  it('is empty without a search', () => {
    expect(searchFilter(undefined)).toEqual({});
    expect(searchFilter(null)).toEqual({});
    expect(searchFilter('')).toEqual({});
  });

  // The server evaluates the pattern with PCRE; JavaScript's engine agrees on these escapes.
  const asRegExp = (filter: ReturnType<typeof searchFilter>) => new RegExp(filter.nameKey!.$regex);
  /** Whether a title named `name` matches, as the server decides it on the stored fields. */
  const matches = (filter: ReturnType<typeof searchFilter>, name: string) => {
    const stored = nameSearchFields(name);
    return (
      asRegExp(filter).test(stored.nameKey) &&
      (filter.nameTrigrams?.$all ?? []).every((gram) => stored.nameTrigrams.includes(gram))
    );
  };

  it('matches literally, ignoring case and compatibility forms, on the stored normalised name', () => {
    const filter = searchFilter('a.c (x)*');
    expect(matches(filter, 'The A.C (X)* story')).toBe(true);
    expect(matches(filter, 'abc (x)')).toBe(false);
    expect(matches(searchFilter('ｇｌｏｒｙ'), 'The Glory')).toBe(true);
    expect(matches(searchFilter('GLORY'), 'ＴＨＥ ＧＬＯＲＹ')).toBe(true);
    expect(matches(searchFilter('glory'), 'Glorious')).toBe(false);
  });

  it('asks for every trigram of a search of 3+ characters, which the index answers', () => {
    expect(searchFilter('Glory').nameTrigrams).toEqual({ $all: ['glo', 'lor', 'ory'] });
    expect(searchFilter('gg').nameTrigrams).toBeUndefined();
    expect(matches(searchFilter('gl'), 'The Glory')).toBe(true);
    // By code point: one astral character is one character.
    expect(nameSearchFields('a😀b').nameTrigrams).toEqual(['a😀b']);
  });

  it('keeps line and paragraph separators as themselves, not as \\u escapes PCRE rejects', () => {
    const filter = searchFilter('a\u2028b\u2029');
    expect(filter.nameKey?.$regex).toBe('a\u2028b\u2029');
    expect(matches(filter, 'xa\u2028b\u2029y')).toBe(true);
  });

  it('turns a NUL into \\x00, which BSON can carry and PCRE reads as NUL', () => {
    const filter = searchFilter('a\u0000b');
    expect(filter.nameKey?.$regex).not.toContain('\u0000');
    expect(matches(filter, 'xa\u0000by')).toBe(true);
    expect(() => BSON.serialize(filter)).not.toThrow();
  });

  it('rejects non-string searches', () => {
    expect(() => searchFilter({ $gt: '' } as unknown as string)).toThrow(TypeError);
  });
});

describe('caller values never become operators', () => {
  it('assertStrings rejects objects and dedupes', () => {
    expect(assertStrings(['a', 'b', 'a'], 'ids')).toEqual(['a', 'b']);
    expect(() => assertStrings(['a', { $ne: null } as unknown as string], 'ids')).toThrow(
      TypeError,
    );
    expect(() => assertStrings('abc' as unknown as string[], 'ids')).toThrow(TypeError);
  });

  it('ratingUpsert checks voter, ids, score, comment and date', () => {
    const ok: RatingWrite = {
      target: { kind: 'TITLE', titleId: 't' },
      voterId: 'v',
      score: 3,
      comment: null,
    };
    const now = new Date();
    expect(ratingUpsert(ok, now, 'id').filter).toEqual({ targetKey: 'title:t', voterId: 'v' });
    const bad: Array<Partial<RatingWrite> | { voterId: unknown }> = [
      { voterId: { $gt: '' } },
      { target: { kind: 'TITLE', titleId: { $ne: 1 } as unknown as string } },
      { target: { kind: 'FACT', titleId: 't', factId: 7 as unknown as string } },
      { score: 0 },
      { comment: { x: 1 } as unknown as string },
    ];
    for (const patch of bad) {
      expect(() => ratingUpsert({ ...ok, ...patch } as RatingWrite, now, 'id')).toThrow();
    }
    expect(() => ratingUpsert(ok, new Date('nope'), 'id')).toThrow(TypeError);
  });
});

describe('title documents', () => {
  const catalog = loadCatalog(new Date('2026-12-01T00:00:00Z'));

  it('hold the whole aggregate and read back to it: positions from array order', () => {
    for (const curated of catalog.titles) {
      const doc = {
        _id: curated.title.id,
        ...curatedFields(curated),
        tmdbSnapshot: curated.title.tmdbSnapshot,
        version: 1,
      };
      expect(doc.facts.map((f) => f.id)).toEqual(curated.facts.map((f) => f.id));
      expect(JSON.stringify(doc.facts)).not.toContain('position');
      expect(toCuratedTitle(doc)).toEqual(curated);
    }
  });

  it('list every slug, the current one first', () => {
    const [glory] = catalog.titles;
    const renamed = {
      ...glory,
      title: { ...glory.title, slug: 'glory' },
      formerSlugs: ['the-glory', 'glory'],
    };
    expect(curatedFields(renamed).slugs).toEqual(['glory', 'the-glory']);
  });

  it('maps documents to records, filling absent nullable fields', () => {
    const updatedAt = new Date();
    expect(
      toTitle({
        _id: 'x',
        slug: 'x',
        name: 'X',
        mediaType: 'MOVIE',
        revision: 3,
        updatedAt,
      } as never),
    ).toEqual({
      id: 'x',
      slug: 'x',
      name: 'X',
      originalName: null,
      mediaType: 'MOVIE',
      year: null,
      tagline: null,
      overview: null,
      genres: [],
      posterPath: null,
      tmdbId: null,
      tmdbSnapshot: null,
      verdictBlurb: null,
      revision: 3,
      updatedAt,
    });
  });
});

describe('afterCursor', () => {
  it('pages strictly after (time, id), newest first', () => {
    const at = new Date('2027-01-01T00:00:00Z');
    expect(afterCursor('at', { at, id: 'abc' })).toEqual({
      $or: [{ at: { $lt: at } }, { at, _id: { $lt: 'abc' } }],
    });
    expect(afterCursor('at', null)).toEqual({});
    expect(() => afterCursor('at', { at, id: { $gt: '' } as never })).toThrow(TypeError);
  });
});
