import { z } from 'zod';
import {
  type Catalog,
  type CuratedTitle,
  FactCategory,
  MAX_FACTS_PER_CATEGORY,
  MAX_RECOMMENDATIONS,
  MAX_REPORT_NOTE_LENGTH,
  MAX_RESOLUTION_NOTE_LENGTH,
  MAX_SLUG_LENGTH,
  MAX_SUGGESTED_TEXT_LENGTH,
  MediaType,
  ReportReason,
  ReportState,
  ReviewOutcome,
  ReviewStatus,
  SLUG_PATTERN,
  SLUG_RULE,
  UNVERIFIED,
  VerificationStatus,
  VOTER_ID_PATTERN,
} from '../model';
import type { FactReviewRecord, ReviewRecords } from '../store/port';

/**
 * The catalog file format: curated content as JSON, one entry per title with
 * its facts (in page order) and its "Watch Next" list (in order), and since
 * version 2 the review records of its facts: each fact's review, the
 * viewers' reports (voter ids included: a catalog file is an editors' file)
 * and the editors' resolutions. `npm run catalog:export` writes version 2,
 * `npm run catalog:import` reads both versions, the seed
 * (src/seed/catalog.json) is version 1, and this schema is the one
 * definition of it: docs/editors.md "Catalog files" describes the same fields.
 *
 * Optional fields have the defaults a new title would get; `revision` and
 * `updatedAt` (exported so that an import into an empty store reproduces the
 * pages exactly) are used only when a title or fact is created. Review
 * records are as their store kept them; what is derived from them (report
 * tallies, the queue's rank) is not in the file.
 */

export const CATALOG_FORMAT = 'reelcheck-catalog';
/** What an export writes. Version 1 (no review records) is still read. */
export const CATALOG_VERSION = 2;

const id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1 to 64 of A-Z a-z 0-9 _ -');
const slug = z
  .string()
  .max(MAX_SLUG_LENGTH, `must be at most ${MAX_SLUG_LENGTH} characters`)
  .regex(SLUG_PATTERN, SLUG_RULE);
const text = (max: number) =>
  z
    .string()
    .max(max, `must be at most ${max} characters`)
    .refine((value) => value.trim() !== '', 'must not be blank');
const nullableText = (max: number) => text(max).nullable().default(null);
const date = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' });
const revision = z.number().int().min(1).default(1);
const httpUrl = z
  .string()
  .max(2000)
  .refine((value) => /^https?:\/\/[^\s/]+\S*$/i.test(value), 'must be an http(s) URL');

const verificationSchema = z
  .object({
    status: z.enum(VerificationStatus),
    note: nullableText(1000),
    sources: z
      .array(z.object({ url: httpUrl, label: text(200) }).strict())
      .max(10)
      .default([]),
    updatedAt: date.nullable().default(null),
  })
  .strict()
  .refine((v) => v.status === VerificationStatus.UNVERIFIED || v.sources.length > 0, {
    message: 'a status other than UNVERIFIED needs at least one source',
    path: ['sources'],
  });

const factSchema = z
  .object({
    id,
    category: z.enum(FactCategory),
    text: text(1000),
    verification: verificationSchema.optional(),
    revision,
    updatedAt: date.optional(),
  })
  .strict();

const recommendationSchema = z
  .object({ titleId: id, label: text(60), reason: z.string().max(500).default('') })
  .strict();

const titleSchema = z
  .object({
    id,
    slug,
    formerSlugs: z.array(slug).default([]),
    name: text(200),
    originalName: nullableText(200),
    mediaType: z.enum(MediaType),
    year: z.number().int().min(1870).max(2200).nullable().default(null),
    tagline: nullableText(300),
    overview: nullableText(5000),
    genres: z.array(text(60)).max(20).default([]),
    posterPath: z
      .string()
      .regex(/^\/[A-Za-z0-9._-]{1,100}$/, 'must be a TMDB image path such as /abc.jpg')
      .nullable()
      .default(null),
    tmdbId: z.number().int().positive().nullable().default(null),
    tmdbSnapshot: z
      .object({
        voteAverage: z.number().min(0).max(10),
        voteCount: z.number().int().min(0),
        fetchedAt: date,
      })
      .strict()
      .nullable()
      .default(null),
    verdictBlurb: nullableText(2000),
    revision,
    updatedAt: date.optional(),
    facts: z.array(factSchema).default([]),
    recommendations: z.array(recommendationSchema).max(MAX_RECOMMENDATIONS).default([]),
  })
  .strict();

// ---- version 2: review records ---------------------------------------------------

/** A viewer's report as its store kept it. Editors only: it names the voter. */
const reportSchema = z
  .object({
    id,
    factId: id,
    voterId: z.string().regex(VOTER_ID_PATTERN, 'must be 8 to 64 of A-Z a-z 0-9 _ -'),
    reason: z.enum(ReportReason),
    note: nullableText(MAX_REPORT_NOTE_LENGTH),
    sourceUrl: httpUrl.nullable().default(null),
    suggestedText: nullableText(MAX_SUGGESTED_TEXT_LENGTH),
    createdAt: date,
    updatedAt: date,
    state: z.enum(ReportState),
    closedBy: id.nullable().default(null),
  })
  .strict()
  .refine((r) => (r.state === ReportState.CLOSED) === (r.closedBy !== null), {
    message: 'a CLOSED report names the resolution that closed it; an OPEN one none',
    path: ['closedBy'],
  });

/** An editor's resolution of a fact's review. */
const resolutionSchema = z
  .object({
    id,
    factId: id,
    outcome: z.enum(ReviewOutcome),
    note: nullableText(MAX_RESOLUTION_NOTE_LENGTH),
    resolvedAt: date,
  })
  .strict();

/** A fact's review as kept (its report tally and rank are derived, not in the file). */
const factReviewSchema = z
  .object({
    factId: id,
    status: z.enum(ReviewStatus),
    outcome: z.enum(ReviewOutcome).nullable().default(null),
    reviewedAt: date.nullable().default(null),
    reviewId: id.nullable().default(null),
    takenUpAt: date.nullable().default(null),
    ratingsAtReview: z
      .array(z.number().int().min(0))
      .length(5, 'must be 5 counts: ratings of 1 to 5 at the last resolution')
      .default([0, 0, 0, 0, 0]),
  })
  .strict()
  .superRefine((review, ctx) => {
    const issue = (path: string, message: string) =>
      ctx.addIssue({ code: 'custom', path: [path], message });
    const resolved = [review.outcome, review.reviewedAt, review.reviewId].filter((v) => v !== null);
    if (resolved.length === 1 || resolved.length === 2) {
      issue('outcome', 'outcome, reviewedAt and reviewId go together (the last resolution)');
    }
    if (review.status === ReviewStatus.REVIEWED && review.outcome === null) {
      issue('outcome', 'a REVIEWED fact has the outcome of its last resolution');
    }
    if (review.status === ReviewStatus.NOT_REVIEWED && resolved.length > 0) {
      issue('status', 'a fact with a resolution is REVIEWED or UNDER_REVIEW, not NOT_REVIEWED');
    }
    if ((review.status === ReviewStatus.UNDER_REVIEW) !== (review.takenUpAt !== null)) {
      issue('takenUpAt', 'takenUpAt is when an editor took it up: set exactly when UNDER_REVIEW');
    }
  });

/**
 * A version-2 title: its review records besides (those of facts it no
 * longer has included: a fact removed by a review keeps its records).
 */
const titleSchemaV2 = titleSchema.extend({
  factReviews: z.array(factReviewSchema).default([]),
  reports: z.array(reportSchema).default([]),
  resolutions: z.array(resolutionSchema).default([]),
});

const fileHeader = {
  $comment: z.string().optional(),
  format: z.literal(CATALOG_FORMAT),
};

/**
 * The schema of a whole file, with the rules that span entries: unique ids,
 * slugs and TMDB identities (TMDB id and media type), no genre twice,
 * references; in version 2 also those of review records (unique ids, one
 * review per fact, one OPEN report per voter and fact, a fact of one title,
 * resolutions named by closed reports and reviews in the file).
 */
export const catalogFileSchema = z
  .discriminatedUnion('version', [
    z.object({ ...fileHeader, version: z.literal(1), titles: z.array(titleSchema) }).strict(),
    z.object({ ...fileHeader, version: z.literal(2), titles: z.array(titleSchemaV2) }).strict(),
  ])
  .superRefine((file, ctx) => {
    const issue = (path: Array<string | number>, message: string) =>
      ctx.addIssue({ code: 'custom', path, message });
    const titleIds = new Map<string, number>();
    const slugs = new Map<string, number>();
    const factIds = new Map<string, string>();
    const tmdbIdentities = new Map<string, number>();
    file.titles.forEach((title, t) => {
      if (titleIds.has(title.id))
        issue(['titles', t, 'id'], `repeats titles[${titleIds.get(title.id)}].id`);
      titleIds.set(title.id, t);
      if (title.tmdbId !== null) {
        const identity = `${title.mediaType} ${title.tmdbId}`;
        const holder = tmdbIdentities.get(identity);
        if (holder !== undefined)
          issue(['titles', t, 'tmdbId'], `TMDB ${identity} is also titles[${holder}]'s`);
        tmdbIdentities.set(identity, t);
      }
      const genres = title.genres.map((genre) => genre.trim().toLowerCase());
      genres.forEach((genre, g) => {
        const first = genres.indexOf(genre);
        if (first !== g) issue(['titles', t, 'genres', g], `repeats genres[${first}]`);
      });
      [title.slug, ...title.formerSlugs].forEach((s, i) => {
        const path = i === 0 ? ['titles', t, 'slug'] : ['titles', t, 'formerSlugs', i - 1];
        const owner = slugs.get(s);
        if (owner !== undefined && owner !== t)
          issue(path, `"${s}" is also a slug of titles[${owner}]`);
        slugs.set(s, t);
      });
      const perCategory = new Map<string, number>();
      title.facts.forEach((fact, f) => {
        const where = `titles[${t}].facts[${f}]`;
        if (factIds.has(fact.id))
          issue(['titles', t, 'facts', f, 'id'], `repeats ${factIds.get(fact.id)}.id`);
        factIds.set(fact.id, where);
        perCategory.set(fact.category, (perCategory.get(fact.category) ?? 0) + 1);
      });
      for (const [category, count] of perCategory) {
        if (count > MAX_FACTS_PER_CATEGORY) {
          issue(
            ['titles', t, 'facts'],
            `has ${count} ${category} facts; at most ${MAX_FACTS_PER_CATEGORY}`,
          );
        }
      }
      const recommended = new Set<string>();
      title.recommendations.forEach((rec, r) => {
        const path = ['titles', t, 'recommendations', r, 'titleId'];
        if (rec.titleId === title.id) issue(path, 'a title cannot recommend itself');
        if (recommended.has(rec.titleId)) issue(path, 'recommends the same title twice');
        recommended.add(rec.titleId);
      });
    });
    if (file.version === 2) checkReviewRecords(file.titles, factIds, issue);
  });

/** The version-2 rules that span entries (see catalogFileSchema); `factIds`: each fact's place. */
function checkReviewRecords(
  titles: ReadonlyArray<z.output<typeof titleSchemaV2>>,
  factIds: ReadonlyMap<string, string>,
  issue: (path: Array<string | number>, message: string) => void,
): void {
  const where = (t: number, list: string, i: number) => `titles[${t}].${list}[${i}]`;
  const reportIds = new Map<string, string>();
  const openOf = new Map<string, string>();
  const resolutions = new Map<string, { factId: string; at: string }>();
  const reviewed = new Map<string, string>();
  titles.forEach((title, t) => {
    /** A record's fact is this title's, or one no title in the file has (removed). */
    const ownFact = (path: Array<string | number>, factId: string) => {
      const place = factIds.get(factId);
      if (place !== undefined && !place.startsWith(`titles[${t}].`)) {
        issue(path, `names a fact of another title (${place})`);
      }
    };
    title.resolutions.forEach((resolution, r) => {
      const path = ['titles', t, 'resolutions', r];
      ownFact([...path, 'factId'], resolution.factId);
      const seen = resolutions.get(resolution.id);
      if (seen) issue([...path, 'id'], `repeats ${seen.at}.id`);
      else
        resolutions.set(resolution.id, {
          factId: resolution.factId,
          at: where(t, 'resolutions', r),
        });
    });
    title.reports.forEach((report, r) => {
      const path = ['titles', t, 'reports', r];
      ownFact([...path, 'factId'], report.factId);
      const seen = reportIds.get(report.id);
      if (seen) issue([...path, 'id'], `repeats ${seen}.id`);
      reportIds.set(report.id, where(t, 'reports', r));
      if (report.state === ReportState.OPEN) {
        const key = JSON.stringify([report.factId, report.voterId]);
        const other = openOf.get(key);
        if (other) issue([...path, 'state'], `the voter's OPEN report of this fact is ${other}`);
        openOf.set(key, where(t, 'reports', r));
      }
    });
    title.factReviews.forEach((review, r) => {
      const path = ['titles', t, 'factReviews', r];
      ownFact([...path, 'factId'], review.factId);
      const seen = reviewed.get(review.factId);
      if (seen) issue([...path, 'factId'], `repeats ${seen}.factId`);
      reviewed.set(review.factId, where(t, 'factReviews', r));
    });
  });
  // References to resolutions, once every id is known.
  const resolvedHere = (path: Array<string | number>, id: string, factId: string) => {
    const resolution = resolutions.get(id);
    if (!resolution) issue(path, `no resolution "${id}" in the file`);
    else if (resolution.factId !== factId) {
      issue(path, `names ${resolution.at}, a resolution of another fact`);
    }
  };
  titles.forEach((title, t) => {
    title.reports.forEach((report, r) => {
      if (report.closedBy !== null) {
        resolvedHere(['titles', t, 'reports', r, 'closedBy'], report.closedBy, report.factId);
      }
    });
    title.factReviews.forEach((review, r) => {
      if (review.reviewId !== null) {
        resolvedHere(['titles', t, 'factReviews', r, 'reviewId'], review.reviewId, review.factId);
      }
    });
  });
}

export type CatalogFile = z.input<typeof catalogFileSchema>;
type ParsedTitle = z.output<typeof titleSchema>;

/** A catalog file that does not pass the schema: every problem with its path in the file. */
export class CatalogFileError extends Error {
  constructor(readonly issues: Array<{ path: string; message: string }>) {
    super(
      `The catalog file is not valid (nothing was written):\n${issues
        .map((i) => `  ${i.path}: ${i.message}`)
        .join('\n')}`,
    );
    this.name = 'CatalogFileError';
  }
}

/** "titles[0].facts[2].text": a zod path as it reads in the file. */
export function describePath(path: ReadonlyArray<PropertyKey>): string {
  return (
    path
      .map((part, i) =>
        typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`,
      )
      .join('') || '(the file)'
  );
}

/** What a catalog file holds: title aggregates, and (version 2) the review records of their facts. */
export interface CatalogFileContents {
  catalog: Catalog;
  /** Empty for a version-1 file. Each record's titleId is the title it is listed under. */
  reviews: ReviewRecords;
}

/**
 * Parses and validates a catalog file's JSON value into the model's
 * aggregates and review records. `now` stands in for absent updatedAt values.
 */
export function parseCatalogFile(json: unknown, now: Date = new Date()): CatalogFileContents {
  const parsed = catalogFileSchema.safeParse(json);
  if (!parsed.success) {
    throw new CatalogFileError(
      parsed.error.issues.map((issue) => ({
        path: describePath(issue.path),
        message: issue.message,
      })),
    );
  }
  const reviews: MutableRecords = { reports: [], resolutions: [], reviews: [] };
  if (parsed.data.version === 1) {
    return { catalog: { titles: parsed.data.titles.map((t) => toCuratedTitle(t, now)) }, reviews };
  }
  // A version-2 title's review records are not part of its aggregate.
  const titles = parsed.data.titles.map(({ factReviews, reports, resolutions, ...title }) => {
    const titleId = title.id;
    for (const report of reports) {
      reviews.reports.push({
        ...report,
        titleId,
        createdAt: new Date(report.createdAt),
        updatedAt: new Date(report.updatedAt),
      });
    }
    for (const resolution of resolutions) {
      reviews.resolutions.push({
        ...resolution,
        titleId,
        resolvedAt: new Date(resolution.resolvedAt),
      });
    }
    for (const { factId, ...review } of factReviews) {
      reviews.reviews.push({
        factId,
        titleId,
        review: {
          ...review,
          reviewedAt: review.reviewedAt === null ? null : new Date(review.reviewedAt),
          takenUpAt: review.takenUpAt === null ? null : new Date(review.takenUpAt),
          ratingsAtReview: review.ratingsAtReview as FactReviewRecord['review']['ratingsAtReview'],
        },
      });
    }
    return toCuratedTitle(title, now);
  });
  return { catalog: { titles }, reviews };
}

type MutableRecords = { -readonly [K in keyof ReviewRecords]: Array<ReviewRecords[K][number]> };

/** The titles of a catalog file, without its review records (the seed: a version-1 file). */
export function parseCatalog(json: unknown, now: Date = new Date()): Catalog {
  return parseCatalogFile(json, now).catalog;
}

function toCuratedTitle(file: ParsedTitle, now: Date): CuratedTitle {
  const counters = new Map<string, number>();
  const { facts, recommendations, formerSlugs, ...title } = file;
  return {
    title: {
      ...title,
      tmdbSnapshot: title.tmdbSnapshot && {
        ...title.tmdbSnapshot,
        fetchedAt: new Date(title.tmdbSnapshot.fetchedAt),
      },
      updatedAt: title.updatedAt ? new Date(title.updatedAt) : now,
    },
    formerSlugs,
    facts: [...facts]
      .sort((a, b) => (a.category === b.category ? 0 : a.category === 'BEHIND_THE_SCENES' ? -1 : 1))
      .map((fact) => {
        const position = (counters.get(fact.category) ?? 0) + 1;
        counters.set(fact.category, position);
        const verification = fact.verification ?? UNVERIFIED;
        return {
          id: fact.id,
          titleId: title.id,
          category: fact.category,
          position,
          text: fact.text,
          verification: {
            ...verification,
            updatedAt: verification.updatedAt ? new Date(verification.updatedAt) : null,
          },
          revision: fact.revision,
          updatedAt: fact.updatedAt ? new Date(fact.updatedAt) : now,
        };
      }),
    recommendations: recommendations.map((rec, i) => ({
      titleId: title.id,
      recommendedTitleId: rec.titleId,
      position: i + 1,
      label: rec.label,
      reason: rec.reason,
    })),
  };
}

/**
 * The file form of a catalog (what an export writes, version 2), with the
 * review records listed under the titles they name; parseCatalogFile reads
 * it back to equal aggregates and records. Lists a title has none of are
 * left out, and each is in id order (fact reviews: fact id), so an export
 * of the same store is the same file.
 */
export function toCatalogFile(catalog: Catalog, reviews: ReviewRecords = NO_REVIEWS): CatalogFile {
  const of = <T extends { titleId: string }>(records: readonly T[], key: (record: T) => string) => {
    const byTitle = new Map<string, T[]>();
    for (const record of [...records].sort((a, b) =>
      key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0,
    )) {
      const list = byTitle.get(record.titleId) ?? [];
      list.push(record);
      byTitle.set(record.titleId, list);
    }
    return byTitle;
  };
  const reports = of(reviews.reports, (r) => r.id);
  const resolutions = of(reviews.resolutions, (r) => r.id);
  const factReviews = of(reviews.reviews, (r) => r.factId);
  const iso = (at: Date | null) => at?.toISOString() ?? null;
  return {
    format: CATALOG_FORMAT,
    version: CATALOG_VERSION,
    titles: catalog.titles.map(({ title, formerSlugs, facts, recommendations }) => ({
      id: title.id,
      slug: title.slug,
      formerSlugs,
      name: title.name,
      originalName: title.originalName,
      mediaType: title.mediaType,
      year: title.year,
      tagline: title.tagline,
      overview: title.overview,
      genres: title.genres,
      posterPath: title.posterPath,
      tmdbId: title.tmdbId,
      tmdbSnapshot: title.tmdbSnapshot && {
        ...title.tmdbSnapshot,
        fetchedAt: title.tmdbSnapshot.fetchedAt.toISOString(),
      },
      verdictBlurb: title.verdictBlurb,
      revision: title.revision,
      updatedAt: title.updatedAt.toISOString(),
      facts: facts.map((fact) => ({
        id: fact.id,
        category: fact.category,
        text: fact.text,
        verification: {
          ...fact.verification,
          updatedAt: fact.verification.updatedAt?.toISOString() ?? null,
        },
        revision: fact.revision,
        updatedAt: fact.updatedAt.toISOString(),
      })),
      recommendations: recommendations.map((rec) => ({
        titleId: rec.recommendedTitleId,
        label: rec.label,
        reason: rec.reason,
      })),
      ...listed(
        'factReviews',
        factReviews.get(title.id)?.map(({ factId, review }) => ({
          factId,
          ...review,
          reviewedAt: iso(review.reviewedAt),
          takenUpAt: iso(review.takenUpAt),
          ratingsAtReview: [...review.ratingsAtReview],
        })),
      ),
      ...listed(
        'reports',
        reports.get(title.id)?.map(({ titleId: _title, ...report }) => ({
          ...report,
          createdAt: report.createdAt.toISOString(),
          updatedAt: report.updatedAt.toISOString(),
        })),
      ),
      ...listed(
        'resolutions',
        resolutions.get(title.id)?.map(({ titleId: _title, ...resolution }) => ({
          ...resolution,
          resolvedAt: resolution.resolvedAt.toISOString(),
        })),
      ),
    })),
  };
}

const NO_REVIEWS: ReviewRecords = { reports: [], resolutions: [], reviews: [] };

/** `{ [key]: list }`, or nothing when the list is empty or missing. */
function listed<K extends string, T>(key: K, list: T[] | undefined): Partial<Record<K, T[]>> {
  return list && list.length > 0 ? ({ [key]: list } as Record<K, T[]>) : {};
}
