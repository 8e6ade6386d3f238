import 'reflect-metadata';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createApp } from '../src/app';
import { parseCatalog } from '../src/catalog/format';
import { writeCatalog } from '../src/catalog/write';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { createMetrics } from '../src/metrics';
import { openRatingLimitCounters } from '../src/store';
import type { Store } from '../src/store/port';
import { SqliteStore } from '../src/store/sqlite/sqlite-store';
import type { Catalog } from '../src/model';
import { createTmdbScoreSource } from '../src/tmdb';

/**
 * `npm run bench`: the speed targets, as ratios (machine-independent):
 *  1. reading a summary for a target with many ratings vs one with few (target: ~1);
 *  2. store calls and time for a 50-title page vs a 5-title page (calls: 1.0);
 *  3. time to refuse issue 9's abusive documents vs receiving as many harmless bytes (target: < 5).
 * Timings are medians over repeated runs on the embedded store.
 */
const HEAVY_RATINGS = Number(process.env.BENCH_RATINGS ?? 20_000);
const RUNS = 200;

/** `count` titles with three facts each and a recommendation of the next, as a catalog file. */
function catalog(count: number): Catalog {
  const ids = Array.from({ length: count }, (_, i) => `bench-${String(i).padStart(3, '0')}`);
  return parseCatalog({
    format: 'reelcheck-catalog',
    version: 1,
    titles: ids.map((id, i) => ({
      id,
      slug: id,
      name: `Bench ${i}`,
      mediaType: 'TV',
      facts: [1, 2, 3].map((position) => ({
        id: `${id}-f${position}`,
        category: 'DID_YOU_KNOW',
        text: `fact ${position}`,
      })),
      recommendations: [
        { titleId: ids[(i + 1) % ids.length], label: 'More Drama', reason: 'bench' },
      ],
    })),
  });
}

async function median(runs: number, work: () => Promise<void>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await work();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

async function send(url: string, query: string): Promise<{ errors?: unknown }> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  return (await res.json()) as { errors?: unknown };
}

async function post(url: string, query: string): Promise<void> {
  const body = await send(url, query);
  if (body.errors) throw new Error(JSON.stringify(body.errors));
}

async function refused(url: string, query: string): Promise<void> {
  const body = await send(url, query);
  if (!body.errors) throw new Error('an abusive document was answered');
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'reelcheck-bench-'));
  const config = loadConfig({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' });
  const logger = createLogger(config);
  const embedded = await SqliteStore.open({ dataDir });
  const calls = { count: 0 };
  const store = new Proxy(embedded, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.count++;
        return value.apply(target, args);
      };
    },
  }) as Store;
  await writeCatalog(store, catalog(60));

  console.log(`writing ${HEAVY_RATINGS} ratings for bench-000 and 10 for bench-001...`);
  const now = new Date();
  for (let i = 0; i < HEAVY_RATINGS; i++) {
    await embedded.upsertRating(
      {
        target: { kind: 'TITLE', titleId: 'bench-000' },
        voterId: `v${i}`,
        score: 1 + (i % 5),
        comment: null,
      },
      now,
    );
  }
  for (let i = 0; i < 10; i++) {
    await embedded.upsertRating(
      {
        target: { kind: 'TITLE', titleId: 'bench-001' },
        voterId: `v${i}`,
        score: 4,
        comment: null,
      },
      now,
    );
  }

  const metrics = createMetrics();
  const tmdb = createTmdbScoreSource({ config: config.tmdb, logger, store, metrics: metrics.tmdb });
  const ratingLimits = openRatingLimitCounters(store, config.ratings.rateLimitPerMinute);
  const app = await createApp({ config, logger, store, tmdb, ratingLimits, metrics });
  const url = await app.listen();
  try {
    const summary = (slug: string) =>
      `{ title(slug: "${slug}") { accuracy { count average distribution verdict } } }`;
    const heavy = await median(RUNS, () => post(url, summary('bench-000')));
    const light = await median(RUNS, () => post(url, summary('bench-001')));
    console.log(
      `summary read: ${HEAVY_RATINGS} ratings ${heavy.toFixed(2)} ms vs 10 ratings ${light.toFixed(2)} ms -> ratio ${(heavy / light).toFixed(2)} (target ~1: cost independent of rating count)`,
    );

    const page = (first: number) =>
      `{ titles(first: ${first}) { edges { node { name accuracy { count } facts { text accuracy { count } } recommendations { title { name accuracy { count } } } } } } }`;
    const callsFor = async (first: number) => {
      calls.count = 0;
      await post(url, page(first));
      return calls.count;
    };
    const calls5 = await callsFor(5);
    const calls50 = await callsFor(50);
    const t5 = await median(RUNS / 4, () => post(url, page(5)));
    const t50 = await median(RUNS / 4, () => post(url, page(50)));
    console.log(
      `title list: store calls 50 titles / 5 titles = ${calls50}/${calls5} -> ratio ${(calls50 / calls5).toFixed(2)} (target 1.00: batched)`,
    );
    console.log(
      `title list: time 50 titles / 5 titles = ${t50.toFixed(2)}/${t5.toFixed(2)} ms -> ratio ${(t50 / t5).toFixed(2)} (10x the data)`,
    );

    const abusive = {
      '1,440 aliased title lookups over a nested fragment': `query($s:String){ ${Array.from({ length: 1440 }, (_, i) => `a${i}:title(slug:$s){...G}`).join(' ')} } fragment G on Title { facts { text title { facts { text } } } }`,
      '3,000 aliased __schema listings': `{${Array.from({ length: 3000 }, (_, i) => `_${i.toString(36)}:__schema{types{fields{name}}}`).join('')}}`,
    };
    for (const [what, query] of Object.entries(abusive)) {
      // The same number of bytes, harmless: a comment and { __typename }.
      const harmless = `#${'x'.repeat(query.length - 16)}\n{ __typename }`;
      const receiveMs = await median(RUNS / 4, () => post(url, harmless));
      const refusalMs = await median(RUNS / 4, () => refused(url, query));
      console.log(
        `refusal: ${what} ${refusalMs.toFixed(2)} ms vs receiving as many harmless bytes ${receiveMs.toFixed(2)} ms -> ratio ${(refusalMs / receiveMs).toFixed(2)} (target < 5, the same order: refused once read, before any work; issue 9 measured 4.8 s of CPU before)`,
      );
    }
  } finally {
    await app.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
