import { createHash } from 'node:crypto';
import stringify from 'safe-stable-stringify';
import {
  addToTally,
  aggregateOf,
  ChangeEntityType,
  emptyReportTally,
  type FactReview,
  notReviewed,
  type ReportTally,
  ReportState,
  reportTallyDelta,
} from '../../model';
import { reviewRecordOf } from '../port';
import type { StoreReader } from './sides';

/**
 * The final check of store:copy: per kind of record, the count and a
 * checksum on each side. A record's canonical form is the model record as
 * JSON with sorted keys (dates as ISO strings), without storage details
 * (rating ids: see sides.ts); each record is hashed, and the kind's checksum
 * is the SHA-256 of "key TAB record-hash" lines in key order (UTF-8 byte
 * order, the same whichever store listed them). A fact review is checked
 * with its tally: the target's, derived from its OPEN reports, must equal
 * the recount of the source's (as rebuilt aggregates must equal the
 * source's ratings); its queue rank is not checked (the target ranks with
 * its own threshold).
 */
export const KINDS = [
  'titles',
  'slug history',
  'facts',
  'recommendations',
  'tmdb snapshots',
  'ratings',
  'changes',
  'reports',
  'review resolutions',
  'fact reviews',
  'aggregates',
] as const;
export type Kind = (typeof KINDS)[number];

export interface KindSummary {
  count: number;
  checksum: string;
  /** Record hash by key, to name what differs. */
  hashes: Map<string, string>;
}

export type StoreSummary = Record<Kind, KindSummary>;

export interface SummaryOptions {
  batchSize?: number;
  /**
   * What is derived, aggregates and report tallies. 'recomputed': from this
   * store's ratings and OPEN reports (the source: what the target's must
   * equal); 'stored': as the store keeps them.
   */
  derived: 'recomputed' | 'stored';
}

export async function summarizeStore(
  store: StoreReader,
  options: SummaryOptions,
): Promise<StoreSummary> {
  const batchSize = options.batchSize ?? 1000;
  const records = new Map<Kind, Map<string, string>>(KINDS.map((kind) => [kind, new Map()]));
  const put = (kind: Kind, key: string, value: unknown) =>
    records.get(kind)!.set(key, hashOf(stringify(value) ?? 'null'));

  for await (const batch of store.titles(batchSize)) {
    for (const { title, formerSlugs, facts, recommendations } of batch) {
      const { tmdbSnapshot, ...fields } = title;
      put('titles', title.id, fields);
      for (const slug of formerSlugs) put('slug history', slug, { slug, titleId: title.id });
      for (const fact of facts) put('facts', fact.id, fact);
      for (const rec of recommendations)
        put('recommendations', `${rec.titleId}#${rec.position}`, rec);
      if (tmdbSnapshot) {
        put('tmdb snapshots', title.id, {
          ...tmdbSnapshot,
          fetchedAt: new Date(tmdbSnapshot.fetchedAt),
        });
      }
    }
  }

  const keyOfRatingId = new Map<string, string>();
  const scores = new Map<string, number[]>();
  for await (const batch of store.ratings(batchSize)) {
    for (const rating of batch) {
      const { id, ...fields } = rating;
      const key = `${rating.targetKey} ${rating.voterId}`;
      keyOfRatingId.set(id, key);
      put('ratings', key, fields);
      if (options.derived === 'recomputed') {
        const list = scores.get(rating.targetKey) ?? [];
        list.push(rating.score);
        scores.set(rating.targetKey, list);
      }
    }
  }

  for await (const batch of store.changes(batchSize)) {
    for (const change of batch) {
      const entityId =
        change.entityType === ChangeEntityType.RATING_COMMENT
          ? `rating ${keyOfRatingId.get(change.entityId) ?? `missing ${change.entityId}`}`
          : change.entityId;
      put('changes', change.id, { ...change, entityId });
    }
  }

  // Tallies recounted from the OPEN reports (with the title of the fact they name).
  const recounts = new Map<string, { titleId: string; tally: ReportTally }>();
  for await (const batch of store.reports(batchSize)) {
    for (const report of batch) {
      put('reports', report.id, report);
      if (report.state !== ReportState.OPEN) continue;
      const counted = recounts.get(report.factId);
      recounts.set(report.factId, {
        titleId: report.titleId,
        tally: addToTally(counted?.tally ?? emptyReportTally(), reportTallyDelta(null, report)),
      });
    }
  }

  for await (const batch of store.resolutions(batchSize)) {
    for (const resolution of batch) put('review resolutions', resolution.id, resolution);
  }

  // A fact's review: its record and its tally (stored, or recounted); none when both are empty.
  const putReview = (factId: string, titleId: string, review: FactReview) => {
    const record = reviewRecordOf(factId, titleId, review);
    if (record === null && review.reports.open === 0) return;
    put('fact reviews', factId, { titleId, ...review });
  };
  for await (const batch of store.factReviews(batchSize)) {
    for (const { factId, titleId, review } of batch) {
      const recount = recounts.get(factId);
      recounts.delete(factId);
      putReview(
        factId,
        titleId,
        options.derived === 'stored'
          ? review
          : { ...review, reports: recount?.tally ?? emptyReportTally() },
      );
    }
  }
  // Facts with OPEN reports but no review kept: the target keeps one for each.
  if (options.derived === 'recomputed') {
    for (const [factId, { titleId, tally }] of recounts) {
      putReview(factId, titleId, { ...notReviewed(), reports: tally });
    }
  }

  if (options.derived === 'recomputed') {
    for (const [key, list] of scores) put('aggregates', key, aggregateOf(key, list));
  } else {
    for await (const batch of store.aggregates(batchSize)) {
      // A zero aggregate is what an unrated target reads as: not a record.
      for (const aggregate of batch)
        if (aggregate.count !== 0) put('aggregates', aggregate.targetKey, aggregate);
    }
  }

  return Object.fromEntries(
    KINDS.map((kind) => {
      const hashes = records.get(kind)!;
      return [kind, { count: hashes.size, checksum: digest(hashes), hashes }];
    }),
  ) as StoreSummary;
}

function hashOf(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function digest(hashes: Map<string, string>): string {
  const hash = createHash('sha256');
  const keys = [...hashes.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  for (const key of keys) hash.update(`${key}\t${hashes.get(key)}\n`);
  return hash.digest('hex');
}

export interface Comparison {
  kind: Kind;
  source: { count: number; checksum: string };
  target: { count: number; checksum: string };
  equal: boolean;
  /** Up to 5 keys that differ (missing on one side, or another record). */
  differences: string[];
}

export function compareSummaries(source: StoreSummary, target: StoreSummary): Comparison[] {
  return KINDS.map((kind) => {
    const a = source[kind];
    const b = target[kind];
    const equal = a.count === b.count && a.checksum === b.checksum;
    const differences: string[] = [];
    if (!equal) {
      for (const key of new Set([...a.hashes.keys(), ...b.hashes.keys()])) {
        if (a.hashes.get(key) === b.hashes.get(key)) continue;
        differences.push(
          `${key}: ${!a.hashes.has(key) ? 'only in target' : !b.hashes.has(key) ? 'only in source' : 'differs'}`,
        );
        if (differences.length === 5) break;
      }
    }
    return {
      kind,
      source: { count: a.count, checksum: a.checksum },
      target: { count: b.count, checksum: b.checksum },
      equal,
      differences,
    };
  });
}

/** The comparison as a table (one line per kind), as store:copy prints it. */
export function formatComparison(rows: readonly Comparison[]): string {
  const header = ['kind', 'source', 'target', 'source checksum', 'target checksum', ''];
  const lines = rows.map((row) => [
    row.kind,
    String(row.source.count),
    String(row.target.count),
    row.source.checksum.slice(0, 16),
    row.target.checksum.slice(0, 16),
    row.equal ? 'ok' : 'MISMATCH',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const format = (cells: string[]) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  const out = [format(header), ...lines.map(format)];
  for (const row of rows) for (const d of row.differences) out.push(`  ${row.kind}: ${d}`);
  return out.join('\n');
}
