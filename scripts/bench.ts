import 'reflect-metadata';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { measureCacheMemory } from './bench/cache-memory';
import { measureDurableRatings } from './bench/durable-ratings';
import { embeddedCatalogSize, embeddedRatingWrites } from './bench/embedded';
import { BenchError } from './bench/load';
import { measureMixed } from './bench/mixed';
import {
  findMongo,
  mongoCatalogSize,
  type MongoTarget,
  mongoRatingWrites,
  onMongo,
} from './bench/mongo';
import { planFor } from './bench/plan';
import { type BenchResults, formatReport, machine, writeJson } from './bench/report';
import { measureServing } from './bench/serving';
import { measureRefusals } from './bench/refusals';
import { embeddedReviewQueue, mongoReviewQueue } from './bench/review-queue';
import { measureStartup } from './bench/startup';
import { verdicts } from './bench/targets';

/**
 * `npm run bench [-- --quick] [-- --json FILE]`: issue 12's performance
 * targets (P1-P5), issue 9's refusal of abusive documents and issue 19's
 * trusted documents and mixed workload, and issue 20's durable ratings
 * (throughput against the commits of before), and issue 22's review queue at
 * scale and reports against ratings, measured side by side in one run
 * through the built server
 * (scripts/bench/ has a module per phase). Prints Markdown tables and the
 * targets with PASS/FAIL, and writes everything as JSON. Exits non-zero only
 * when the measurement itself is invalid (servers disagree, a request
 * fails), never for a FAIL.
 */
async function main(): Promise<void> {
  const plan = planFor(process.argv.slice(2));
  const startedAt = new Date();
  const elapsed = () => (Date.now() - startedAt.getTime()) / 1000;
  const log = (line: string) => console.log(`[${elapsed().toFixed(1).padStart(5)} s] ${line}`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'reelcheck-bench-'));
  const mongo = await findMongo({ quick: plan.mode === 'quick' });
  // On 'exit', so that an interrupted or failed run cleans up too (servers.ts ends the servers).
  process.once('exit', () => {
    if (!('skipped' in mongo)) mongo.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });
  log(`Reelcheck bench, ${plan.mode} mode; MongoDB: ${mongoDescription(mongo)}`);
  const serving = await measureServing(work, plan.serving, log);
  const mixed = await measureMixed(work, plan.mixed, log);
  const perTitle = plan.startup.ratingsPerTitle;
  const embedded = await embeddedCatalogSize(work, plan.catalogSize, perTitle, log);
  const mongoCatalog = await onMongo(mongo, ({ uri }) =>
    mongoCatalogSize(uri, plan.catalogSize, log),
  );
  log('rating writes: new ratings on a busy and a quiet target');
  const sqliteWrites = await embeddedRatingWrites(work, plan.ratingWrites);
  const mongoWrites = await onMongo(mongo, ({ uri }) => mongoRatingWrites(uri, plan.ratingWrites));
  const durableRatings = await measureDurableRatings(work, plan.durableRatings, log);
  const cacheMemory = await measureCacheMemory(work, plan.cacheMemory.requests, log);
  const sqliteReviews = await embeddedReviewQueue(work, plan.reviewQueue, log);
  const mongoReviews = await onMongo(mongo, (server) =>
    mongoReviewQueue(server, plan.reviewQueue, log),
  );
  log(`start-up on the ${embedded.largeStore.titles}-title embedded store, then a write load`);
  const startup = await measureStartup(embedded.largeStore, plan.startup);
  log("refusals: issue 9's abusive documents vs as many harmless bytes");
  const refusals = await measureRefusals(work, plan.refusals.samples);

  const measured = {
    serving,
    mixed,
    catalogSize: { sqlite: embedded.results, mongo: mongoCatalog },
    ratingWrites: { sqlite: sqliteWrites, mongo: mongoWrites },
    startup,
    refusals,
    durableRatings,
    cacheMemory,
    reviewQueue: { sqlite: sqliteReviews, mongo: mongoReviews },
    mongoLabel: 'testDouble' in mongo && mongo.testDouble ? 'mongo (test double)' : 'mongo',
  };
  const results: BenchResults = {
    mode: plan.mode,
    startedAt: startedAt.toISOString(),
    durationSeconds: elapsed(),
    machine: machine(),
    plan,
    mongo: 'skipped' in mongo ? mongo : { server: mongo.describe },
    pageBytes: serving.pageBytes,
    ...measured,
    targets: verdicts(measured),
  };
  writeJson(plan.jsonFile, results);
  console.log(`\n${formatReport(results)}\n\nresults: ${plan.jsonFile}`);
}

function mongoDescription(mongo: MongoTarget): string {
  return 'skipped' in mongo ? `skipped: ${mongo.skipped}` : mongo.describe;
}

main().catch((error) => {
  console.error(error instanceof BenchError ? `bench failed: ${error.message}` : error);
  process.exit(1);
});
