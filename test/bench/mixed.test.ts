import { aggregateOf } from '../../src/model/aggregate';
import { summarize } from '../../src/model';
import {
  measureMixed,
  type MixedSettings,
  RatingsSeen,
  ratingChance,
  titleCountIn,
} from '../../scripts/bench/mixed';
import { type PageData, PeerPages } from '../../scripts/bench/peer-pages';
import { buildServer } from '../helpers/server-process';
import { tempDir } from '../helpers/temp-dirs';

/** A page as Reelcheck answers it for a bench title (no facts), rated by `scores`. */
function page(n: number, scores: number[]): PageData {
  const { targetKey: _key, ...summary } = summarize(aggregateOf(`title:bench-${n}`, scores));
  return {
    title: {
      id: `T${n}`,
      name: `Title ${n}`,
      tmdbScore: null,
      accuracy: { id: `A${n}`, ...summary },
      behindTheScenes: [],
      didYouKnow: [],
      recommendations: [],
    },
    ratingScale: [{ score: 1, label: 'Inaccurate', description: '...' }],
  };
}

describe('bench mixed workload', () => {
  it('rates after a share of reads so that ratings are that share of all requests', () => {
    const chance = ratingChance(0.02);
    // A read alone is one request; a read, a rating and the read after it are three.
    expect(chance / (1 + 2 * chance)).toBeCloseTo(0.02, 12);
    expect(ratingChance(0)).toBe(0);
    expect(() => ratingChance(1 / 3)).toThrow(/not possible/);
  });

  it('reads the title\'s own count: the first "count", not TMDB\'s voteCount', () => {
    const body =
      '{"data":{"title":{"id":"T1","tmdbScore":{"voteAverage":7.1,"voteCount":912},' +
      '"accuracy":{"id":"A1","count":41,"average":3.2},"behindTheScenes":[{"accuracy":{"count":3}}]}}}\n';
    expect(titleCountIn(body)).toBe(41);
    expect(titleCountIn('{"data":{"rateAccuracy":{"accuracy":{"id":"A1","count":7}}}}')).toBe(7);
    expect(titleCountIn('{"errors":[{"message":"no"}]}')).toBeNull();
  });

  it('checks reads against the counts ratings acknowledged before they were sent', () => {
    const seen = new RatingsSeen('test', 10);
    expect(seen.floor(3)).toBe(0);
    // Never rated: nothing to check.
    expect(seen.read(3, seen.floor(3), null)).toBe(true);
    seen.acknowledge(3, 7);
    seen.acknowledge(3, 6); // an earlier rating's answer arriving late lowers nothing
    expect(seen.floor(3)).toBe(7);
    expect(seen.read(3, 7, 7, true)).toBe(true);
    expect(seen.read(3, 7, 9)).toBe(true);
    expect(seen.read(3, 7, 6)).toBe(false);
    expect(seen.read(3, 7, null)).toBe(false);
    expect(seen.checks).toEqual({
      id: 'test',
      reads: 5,
      ratings: 2,
      readsChecked: 4,
      readsAfterRating: 1,
      violations: 2,
    });
    expect(seen.violations[0]).toBe('title-0000003 showed 6 after a rating acknowledged 7');
  });

  it("peers apply ratings by Reelcheck's rules: one per voter and title, summaries as Reelcheck derives them", () => {
    const pages = new PeerPages({ 'title-1': page(1, [5, 4, 1]), 'title-2': page(2, []) });
    const before = pages.title({ slug: 'title-1' })!;
    const first = pages.rate({ titleId: 'T1', voterId: 'voter-0001', score: 2 });
    const { targetKey: _key, ...expected } = summarize(aggregateOf('x', [5, 4, 1, 2]));
    expect(first.accuracy).toEqual({ id: 'A1', ...expected });
    // Rating again replaces the voter's score.
    const again = pages.rate({ titleId: 'T1', voterId: 'voter-0001', score: 5 });
    const { targetKey: _k, ...replaced } = summarize(aggregateOf('x', [5, 4, 1, 5]));
    expect(again.accuracy).toEqual({ id: 'A1', ...replaced });
    expect(pages.title({ slug: 'title-1' })!.accuracy.count).toBe(4);
    expect(pages.title({ id: 'T1' })).toBe(pages.title({ slug: 'title-1' }));
    // A new record each time: a cache keeping the old one would show the old summary.
    expect(before.accuracy.count).toBe(3);
    expect(pages.rate({ titleId: 'T2', voterId: 'voter-0002', score: 4 }).accuracy).toMatchObject({
      count: 1,
      average: 4,
      distribution: [0, 0, 0, 1, 0],
      verdict: 'MIXED',
    });
  });

  it('peers refuse what Reelcheck refuses', () => {
    const pages = new PeerPages({ 'title-1': page(1, []) });
    expect(() => pages.rate({ titleId: 'T1', voterId: 'short', score: 3 })).toThrow(/voterId/);
    expect(() => pages.rate({ titleId: 'T1', voterId: 'voter-0001', score: 6 })).toThrow(/score/);
    expect(() => pages.rate({ titleId: 'T9', voterId: 'voter-0001', score: 3 })).toThrow(
      /No such title/,
    );
    expect(pages.title({ slug: 'nope' })).toBeNull();
  });

  describe('against the real servers', () => {
    beforeAll(() => buildServer());

    it('every server answers the same pages and ratings, and every read after a rating shows it', async () => {
      const settings: MixedSettings = {
        connections: 10,
        seconds: 1,
        rounds: 1,
        warmupSeconds: 0,
        titles: 200,
        ratingsPerTitle: 3,
        // Many ratings, so that reads after them are checked on every server.
        ratingShare: 0.2,
        zipfExponent: 1,
      };
      const results = await measureMixed(tempDir('reelcheck-bench-mixed-'), settings, () => {});
      expect(results.cases.map((c) => c.id)).toEqual([
        'stock.mixed',
        'mercurius.mixed',
        'mercuriusCache.mixed',
        'reelcheck.mixed',
        'reelcheckTrusted.mixed',
      ]);
      for (const checks of results.checks) {
        expect(checks.ratings).toBeGreaterThan(0);
        expect(checks.readsAfterRating).toBeGreaterThan(0);
        expect(checks.violations).toBe(0);
      }
    });
  });
});
