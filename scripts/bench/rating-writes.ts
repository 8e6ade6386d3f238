import type { Store } from '../../src/store/port';
import { benchCatalog, type RatingsOf, titleIdAt } from './fixtures';
import { BenchError } from './load';
import { median, timeMs } from './metrics';

/**
 * P4: a new rating on a target that already has many ratings costs about
 * what one on a target with a few costs. Both targets are set up in bulk,
 * then new ratings (new voters) alternate between them through the store
 * port, each timed on its own; the medians are compared. (Reading a
 * summary is one aggregate lookup in both stores, whatever the rating count:
 * sub-microsecond differences, not measured.)
 */

export interface RatingWriteSettings {
  /** Ratings already on the busy target (20,000) and on the quiet one (10). */
  busy: number;
  quiet: number;
  /** Timed new ratings per target (after as many untimed ones, to warm up). */
  samples: number;
}

export interface RatingWriteResults {
  settings: RatingWriteSettings;
  /** Building the two targets' ratings in bulk (and deriving their aggregates). */
  setupMs: number;
  newRatingMs: { busy: number; quiet: number };
  /** How the store commits, when the report should say (the embedded store: the durable build). */
  storeMode?: string;
}

const BUSY = titleIdAt(0);
const QUIET = titleIdAt(1);

/**
 * Builds the fixture with `build` (two titles; `busy` and `quiet` ratings),
 * opens the store with `open`, and times new ratings on both targets,
 * alternating. Checks the counts afterwards.
 */
export async function measureRatingWrites(
  settings: RatingWriteSettings,
  build: (catalog: ReturnType<typeof benchCatalog>, ratings: RatingsOf[]) => Promise<void>,
  open: () => Promise<Store>,
): Promise<RatingWriteResults> {
  const setupStart = process.hrtime.bigint();
  await build(benchCatalog(2), [
    { titleId: BUSY, count: settings.busy },
    { titleId: QUIET, count: settings.quiet },
  ]);
  const setupMs = Number(process.hrtime.bigint() - setupStart) / 1e6;

  const store = await open();
  try {
    const now = new Date();
    const rate = (titleId: string, voterId: string, score: number) =>
      store.upsertRating(
        { target: { kind: 'TITLE', titleId }, voterId, score, comment: null },
        now,
      );
    const times = { busy: [] as number[], quiet: [] as number[] };
    for (let i = 0; i < 2 * settings.samples; i++) {
      const voterId = `bench-new-voter-${i}`;
      const score = 1 + (i % 5);
      const busy = await timeMs(() => rate(BUSY, voterId, score));
      const quiet = await timeMs(() => rate(QUIET, voterId, score));
      if (i < settings.samples) continue; // warm-up
      times.busy.push(busy);
      times.quiet.push(quiet);
    }
    const [busy, quiet] = await store.aggregatesByTargets([`title:${BUSY}`, `title:${QUIET}`]);
    const added = 2 * settings.samples;
    if (busy.count !== settings.busy + added || quiet.count !== settings.quiet + added) {
      throw new BenchError(
        `rating writes on ${store.kind}: counts ${busy.count} and ${quiet.count}, expected ` +
          `${settings.busy + added} and ${settings.quiet + added}`,
      );
    }
    return {
      settings,
      setupMs,
      newRatingMs: { busy: median(times.busy)!, quiet: median(times.quiet)! },
    };
  } finally {
    await store.close();
  }
}
