import pino from 'pino';
import {
  aggregateOf,
  type FactRecord,
  InvalidInputError,
  NotFoundError,
  RateLimitedError,
  type RatingRecord,
  targetKey,
} from '../../src/model';
import {
  type RateRequest,
  RatingService,
  type RatingServiceStore,
} from '../../src/ratings/service';
import type { RatingWrite } from '../../src/store/port';
import { FIXED_NOW, titleRecord } from '../fixtures/catalog';

/**
 * What the GraphQL tests cannot reach: the service's own rules, which hold
 * for any caller (GraphQL validates the same rules before it gets here), and
 * the order of its steps, seen through what it spends and writes.
 */

const title = titleRecord({ id: 'glory' });
const otherTitle = titleRecord({ id: 'parasite' });
const fact = { id: 'f1', titleId: 'glory' } as FactRecord;
const rater = { address: '203.0.113.9', logger: pino({ level: 'silent' }) };

function setup(options: { limited?: boolean } = {}) {
  const writes: RatingWrite[] = [];
  const spent: string[] = [];
  const store: RatingServiceStore = {
    titlesByIds: async (ids) =>
      ids.map((id) => [title, otherTitle].find((t) => t.id === id) ?? null),
    factsByIds: async (ids) => ids.map((id) => (id === fact.id ? fact : null)),
    upsertRating: async (write) => {
      writes.push(write);
      const rating = { id: 'r1', score: write.score, comment: write.comment } as RatingRecord;
      return {
        rating,
        aggregate: aggregateOf(targetKey(write.target), [write.score]),
        created: true,
      };
    },
    commentsOf: async () => ({ items: [], hasNextPage: false }),
  };
  const limiter = {
    consume: async (client: string) => {
      spent.push(client);
      if (options.limited) throw new RateLimitedError(30);
    },
  };
  const service = new RatingService(store, limiter, { now: () => FIXED_NOW });
  return { service, writes, spent };
}

const page = (part: Partial<RateRequest> = {}): RateRequest => ({
  titleId: 'glory',
  factId: null,
  voterId: 'voter-0001',
  score: 4,
  comment: null,
  ...part,
});

describe('RatingService.rate', () => {
  it.each([
    [{ score: 0 }, 'score'],
    [{ score: 6 }, 'score'],
    [{ score: 3.5 }, 'score'],
    [{ voterId: 'short' }, 'voterId'],
    [{ voterId: 'has space 123' }, 'voterId'],
    [{ comment: 'x'.repeat(501) }, 'comment'],
  ])('refuses %p naming %p, before spending the limit or writing', async (part, field) => {
    const { service, writes, spent } = setup();
    const refused = service.rate(page(part), rater);
    await expect(refused).rejects.toBeInstanceOf(InvalidInputError);
    await expect(refused).rejects.toMatchObject({ field });
    expect(spent).toEqual([]);
    expect(writes).toEqual([]);
  });

  it('spends the limit before looking up the target, and writes nothing for an unknown one', async () => {
    const { service, writes, spent } = setup();
    const refused = service.rate(page({ titleId: 'nope' }), rater);
    await expect(refused).rejects.toEqual(
      new NotFoundError('No title has this titleId', 'titleId'),
    );
    expect(spent).toEqual([rater.address]);
    expect(writes).toEqual([]);
  });

  it('refuses a fact of another title with NOT_FOUND on factId', async () => {
    const { service, writes } = setup();
    const refused = service.rate(page({ titleId: 'parasite', factId: 'f1' }), rater);
    await expect(refused).rejects.toMatchObject({ field: 'factId' });
    await expect(refused).rejects.toBeInstanceOf(NotFoundError);
    expect(writes).toEqual([]);
  });

  it('writes nothing once the client is over its limit', async () => {
    const { service, writes } = setup({ limited: true });
    await expect(service.rate(page(), rater)).rejects.toBeInstanceOf(RateLimitedError);
    expect(writes).toEqual([]);
  });

  it('stores a blank comment as none and returns the target with its fresh summary', async () => {
    const { service, writes } = setup();
    const result = await service.rate(page({ factId: 'f1', score: 5, comment: '   ' }), rater);
    expect(writes).toEqual([
      {
        target: { kind: 'FACT', titleId: 'glory', factId: 'f1' },
        voterId: 'voter-0001',
        score: 5,
        comment: null,
      },
    ]);
    expect(result.title).toBe(title);
    expect(result.fact).toBe(fact);
    expect(result.accuracy).toMatchObject({ targetKey: 'fact:f1', count: 1, average: 5 });
  });
});
