import { RateAccuracyDocument } from '../generated/graphql';
import { execute } from '../helpers/graphql-client';
import {
  builtServersOnFreshDatabase,
  describeMongo,
  gloryIds,
  runRatingsRebuild,
  servedOnceAgreed,
} from '../helpers/mongo';

/**
 * Two API processes on one database, as behind a load balancer: the rating
 * writes of both (same-voter re-ratings racing across processes included)
 * leave every aggregate equal to a recomputation from the raw ratings, and
 * ratings:rebuild finds no drift.
 */
describeMongo('two servers on one database', (uri) => {
  const fixture = builtServersOnFreshDatabase(uri, { RATINGS_RATE_LIMIT_PER_MINUTE: '100000' });

  it('keep aggregates exact under 400 concurrent ratings split between them', async () => {
    const { database, servers } = fixture;
    const [a, b] = [await servers.start(), await servers.start()];
    const { titleId, factIds } = await gloryIds(a.url);

    // 200 voters over the page and three facts; each rates on one server and,
    // at the same time, re-rates the same target with another score on the other.
    const requests = Array.from({ length: 200 }, (_, voter) => {
      const target = voter % 4 === 0 ? {} : { factId: factIds[voter % 4] };
      const input = { titleId, voterId: `two-servers-voter-${voter}`, ...target };
      const [first, second] = voter % 2 === 0 ? [a, b] : [b, a];
      return [
        execute(first.url, RateAccuracyDocument, { input: { ...input, score: 1 + (voter % 5) } }),
        execute(second.url, RateAccuracyDocument, {
          input: { ...input, score: 1 + ((voter + 2) % 5) },
        }),
      ];
    });
    const results = await Promise.all(requests.flat());
    expect(results).toHaveLength(400);
    expect(results.filter((res) => res.errors)).toEqual([]);

    // One rating per voter, holding one of the two scores it was sent.
    const ratings = await database.db
      .collection<{ voterId: string; score: number }>('ratings')
      .find()
      .toArray();
    expect(ratings).toHaveLength(200);
    for (const { voterId, score } of ratings) {
      const voter = Number(voterId.split('-').at(-1));
      expect([1 + (voter % 5), 1 + ((voter + 2) % 5)]).toContain(score);
    }

    // Both servers serve aggregates equal to the recomputation from those ratings: at once
    // for their own writes, within their caches' max age for the other server's.
    for (const server of [a, b]) {
      const {
        served,
        recomputed,
        ratings: counted,
      } = await servedOnceAgreed(server.url, database.db, 'the-glory');
      expect(served).toEqual(recomputed);
      expect(counted).toBe(200);
    }

    const rebuild = await runRatingsRebuild(database, ['--dry-run']);
    expect(rebuild.code).toBe(0);
    expect(rebuild.stdout).toContain('(200 ratings) in the mongo store');
    expect(rebuild.stdout).toContain('no drift: every aggregate matches its ratings');
  });
});
