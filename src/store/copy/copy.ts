import { compareSummaries, type Comparison, formatComparison, summarizeStore } from './checksum';
import { describeLocation, parseLocation, sameLocation, type StoreLocation } from './locations';
import { MongoSide } from './mongo-side';
import type {
  ChangeRecord,
  CuratedTitle,
  RatingRecord,
  ReportRecord,
  ReviewResolution,
} from '../../model';
import { type ReviewRecords, reviewRecordOf } from '../port';
import type { Contents, ProgressMarker, StoreReader, StoreWriter, StoredReview } from './sides';
import { SqliteSide } from './sqlite-side';
import { SqliteTarget } from './sqlite-target';

/**
 * `npm run store:copy -- --from SOURCE --to TARGET`: copies a whole store
 * (every kind of record, see sides.ts) to another, embedded or MongoDB, in
 * any direction.
 *
 * - The source is only read (an embedded one under its lock, so no server
 *   runs on it meanwhile; one that is running is reported, not waited for).
 * - The target must be empty, or this copy's own partial copy: its progress
 *   marker (written before the first record, removed after the final check
 *   passes) names the source. Anything else is refused before anything is
 *   written to it.
 * - Titles, then ratings, the audit trail, reports, review resolutions and
 *   fact reviews, in batches, each batch upserted by the record's id (ratings
 *   by target and voter, fact reviews by fact): a re-run after a kill writes
 *   the same records again, never twice; kinds the marker says are complete
 *   are skipped. Review records go through the target store's own
 *   putReviewRecords, which derives each fact's report tally and rank.
 * - Aggregates are derived: rebuilt on the target from its ratings (which
 *   re-ranks the rated facts), then checked (no drift).
 * - Last, every kind is counted and checksummed on both sides
 *   (checksum.ts); any difference fails the copy (the marker stays).
 */
export interface CopyOptions {
  from: string;
  to: string;
  batchSize?: number;
  /** Progress and the final table, line by line (default: stdout). */
  out?: (line: string) => void;
}

export interface CopyResult {
  ok: boolean;
  resumed: boolean;
  comparison: Comparison[];
  aggregates: { targets: number; ratings: number; drift: number };
}

/** The target is not empty and not this copy's partial copy, or is the source: nothing was written. */
export class CopyRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CopyRefusedError';
  }
}

const COPIED = [
  'titles',
  'ratings',
  'changes',
  'reports',
  'review resolutions',
  'fact reviews',
] as const;
type CopiedKind = (typeof COPIED)[number];

/** What each kind's progress counts against. */
const TOTAL: Record<CopiedKind, keyof Contents> = {
  titles: 'titles',
  ratings: 'ratings',
  changes: 'changes',
  reports: 'reports',
  'review resolutions': 'resolutions',
  'fact reviews': 'factReviews',
};

export async function copyStore(options: CopyOptions): Promise<CopyResult> {
  const out = options.out ?? ((line: string) => console.log(line));
  const batchSize = options.batchSize ?? 1000;
  const from = parseLocation(options.from);
  const to = parseLocation(options.to);
  if (sameLocation(from, to)) {
    throw new CopyRefusedError(
      `the source and the target are the same store (${describeLocation(to)})`,
    );
  }
  const source = await openSource(from);
  let target: StoreWriter | null = null;
  try {
    const storeId = source instanceof SqliteSide ? source.storeId() : null;
    const sourceId = `${sourceIdentity(from)}${storeId ? ` (store ${storeId})` : ''}`;
    const totals = await source.contents();
    const { writer, marker } = await openTarget(to, sourceId);
    target = writer;
    const resumed = marker !== null;
    const progress: ProgressMarker = marker ?? {
      source: sourceId,
      startedAt: new Date().toISOString(),
      done: [],
    };
    await target.writeMarker(progress);
    await target.prepare();
    out(
      resumed
        ? `resuming the partial copy from ${sourceId} into ${target.description} (started ${progress.startedAt}; complete: ${progress.done.join(', ') || 'nothing yet'})`
        : `copying ${source.description} into ${target.description}: ${describeContents(totals, false)}`,
    );

    for (const kind of COPIED) {
      if (progress.done.includes(kind)) {
        out(`${kind}: copied by the earlier run`);
        continue;
      }
      const total = totals[TOTAL[kind]];
      let copied = 0;
      for await (const batch of readKind(source, kind, batchSize)) {
        await writeKind(target, source, kind, batch);
        copied += batch.length;
        out(`${kind} ${copied}/${total}`);
      }
      if (copied === 0) out(`${kind} 0/${total}`);
      progress.done.push(kind);
      await target.writeMarker(progress);
    }

    out('aggregates: rebuilding from the ratings (derived, not copied)');
    const aggregates = await target.rebuildAggregates();
    out(
      `aggregates: ${aggregates.targets} rated targets rebuilt from ${aggregates.ratings} ratings; ` +
        `${aggregates.drift === 0 ? 'checked: each matches its ratings' : `${aggregates.drift} DRIFT`}`,
    );

    out('checking: counts and checksums per kind of record');
    const comparison = compareSummaries(
      await summarizeStore(source, { batchSize, derived: 'recomputed' }),
      await summarizeStore(target, { batchSize, derived: 'stored' }),
    );
    out(formatComparison(comparison));
    const ok = aggregates.drift === 0 && comparison.every((row) => row.equal);
    if (ok) {
      await target.clearMarker();
      out(`copy complete: ${target.description} holds the same records as ${source.description}`);
    } else {
      out(
        `copy FAILED the check: ${target.description} differs from the source (see MISMATCH above); ` +
          'it keeps its progress marker: find the cause (was the source written meanwhile?) and run store:copy again',
      );
    }
    return { ok, resumed, comparison, aggregates };
  } finally {
    await target?.close();
    await source.close();
  }
}

/** How the progress marker names a source: kind and location (no credentials). */
export function sourceIdentity(location: StoreLocation): string {
  return `${location.kind === 'sqlite' ? 'embedded' : 'mongodb'} ${describeLocation(location)}`;
}

async function openSource(location: StoreLocation): Promise<StoreReader> {
  if (location.kind === 'sqlite') return SqliteSide.openSource(location.dataDir);
  const side = await MongoSide.open(location.uri, location.dbName, describeLocation(location));
  try {
    await side.assertCurrentModel();
    return side;
  } catch (error) {
    await side.close();
    throw error;
  }
}

/**
 * The target, when it is empty or this source's partial copy (its marker);
 * refused (nothing written) otherwise.
 */
async function openTarget(
  location: StoreLocation,
  sourceId: string,
): Promise<{ writer: StoreWriter; marker: ProgressMarker | null }> {
  const name = describeLocation(location);
  if (location.kind === 'sqlite') {
    const seen = await SqliteTarget.inspect(location.dataDir);
    const marker = decide(
      `the data directory ${name}`,
      seen?.contents ?? null,
      seen?.marker ?? null,
      sourceId,
    );
    return { writer: SqliteTarget.openTarget(location.dataDir), marker };
  }
  const side = await MongoSide.open(location.uri, location.dbName, name);
  try {
    const marker = decide(
      `the MongoDB database ${name}`,
      await side.contents(),
      await side.readMarker(),
      sourceId,
    );
    return { writer: side, marker };
  } catch (error) {
    await side.close();
    throw error;
  }
}

function decide(
  what: string,
  contents: Contents | null,
  marker: ProgressMarker | null,
  sourceId: string,
): ProgressMarker | null {
  if (marker) {
    if (marker.source === sourceId) return marker;
    throw new CopyRefusedError(
      `refusing to copy into ${what}: it holds a partial copy from another source (${marker.source}, ` +
        `started ${marker.startedAt}; ${contents ? describeContents(contents) : 'no records'}). ` +
        'Finish that copy, or copy into an empty data directory or database.',
    );
  }
  if (contents && !isEmpty(contents)) {
    throw new CopyRefusedError(
      `refusing to copy into ${what}: it is not empty (${describeContents(contents)}) and is not a ` +
        `partial copy by store:copy from ${sourceId}. Nothing was written to it. Copy into an ` +
        'empty data directory or database.',
    );
  }
  return null;
}

function isEmpty(contents: Contents): boolean {
  return Object.values(contents).every((n) => n === 0);
}

function describeContents(contents: Contents, withOther = true): string {
  const parts = [
    `${contents.titles} titles`,
    `${contents.ratings} ratings`,
    `${contents.changes} audit records`,
    `${contents.aggregates} aggregates`,
  ];
  const reviews = [
    `${contents.reports} reports`,
    `${contents.resolutions} review resolutions`,
    `${contents.factReviews} fact reviews`,
  ];
  if (contents.reports + contents.resolutions + contents.factReviews > 0) parts.push(...reviews);
  // Embedded: rows of slug history, facts and Watch Next; MongoDB: documents of the first model.
  if (withOther && contents.other > 0) parts.push(`${contents.other} other records`);
  return parts.join(', ');
}

function readKind(
  source: StoreReader,
  kind: CopiedKind,
  batchSize: number,
): AsyncIterable<unknown[]> {
  switch (kind) {
    case 'titles':
      return source.titles(batchSize);
    case 'ratings':
      return source.ratings(batchSize);
    case 'changes':
      return source.changes(batchSize);
    case 'reports':
      return source.reports(batchSize);
    case 'review resolutions':
      return source.resolutions(batchSize);
    case 'fact reviews':
      return source.factReviews(batchSize);
  }
}

/** One batch of a kind, as readKind gave it, upserted into the target. */
async function writeKind(
  target: StoreWriter,
  source: StoreReader,
  kind: CopiedKind,
  batch: unknown[],
): Promise<void> {
  const none: ReviewRecords = { reports: [], resolutions: [], reviews: [] };
  switch (kind) {
    case 'titles':
      return target.writeTitles(batch as CuratedTitle[]);
    case 'ratings':
      return target.writeRatings(batch as RatingRecord[]);
    case 'changes':
      return target.writeChanges(batch as ChangeRecord[], (ids) => source.ratingKeysByIds(ids));
    case 'reports':
      return target.writeReviewRecords({ ...none, reports: batch as ReportRecord[] });
    case 'review resolutions':
      return target.writeReviewRecords({ ...none, resolutions: batch as ReviewResolution[] });
    case 'fact reviews':
      // Only what a review keeps of its own: tallies and ranks are the target's to derive.
      return target.writeReviewRecords({
        ...none,
        reviews: (batch as StoredReview[]).flatMap(
          ({ factId, titleId, review }) => reviewRecordOf(factId, titleId, review) ?? [],
        ),
      });
  }
}
