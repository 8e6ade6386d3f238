import { z } from 'zod';
import {
  type Catalog,
  type CuratedTitle,
  FactCategory,
  MAX_FACTS_PER_CATEGORY,
  MAX_RECOMMENDATIONS,
  MAX_SLUG_LENGTH,
  MediaType,
  SLUG_PATTERN,
  SLUG_RULE,
  UNVERIFIED,
  VerificationStatus,
} from '../model';

/**
 * The catalog file format (version 1): curated content as JSON, one entry
 * per title with its facts (in page order) and its "Watch Next" list (in
 * order). `npm run catalog:export` writes it, `npm run catalog:import` and
 * the seed (src/seed/catalog.json) read it, and this schema is the one
 * definition of it: docs/editors.md "Catalog files" describes the same fields.
 *
 * Optional fields have the defaults a new title would get; `revision` and
 * `updatedAt` (exported so that an import into an empty store reproduces the
 * pages exactly) are used only when a title or fact is created.
 */

export const CATALOG_FORMAT = 'reelcheck-catalog';
export const CATALOG_VERSION = 1;

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

/**
 * The schema of a whole file, with the rules that span entries: unique ids,
 * slugs and TMDB identities (TMDB id and media type), no genre twice, references.
 */
export const catalogFileSchema = z
  .object({
    $comment: z.string().optional(),
    format: z.literal(CATALOG_FORMAT),
    version: z.literal(CATALOG_VERSION),
    titles: z.array(titleSchema),
  })
  .strict()
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
  });

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

/**
 * Parses and validates a catalog file's JSON value into the model's
 * aggregates. `now` stands in for absent updatedAt values.
 */
export function parseCatalog(json: unknown, now: Date = new Date()): Catalog {
  const parsed = catalogFileSchema.safeParse(json);
  if (!parsed.success) {
    throw new CatalogFileError(
      parsed.error.issues.map((issue) => ({
        path: describePath(issue.path),
        message: issue.message,
      })),
    );
  }
  return { titles: parsed.data.titles.map((title) => toCuratedTitle(title, now)) };
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

/** The file form of a catalog (what an export writes); parseCatalog reads it back to equal aggregates. */
export function toCatalogFile(catalog: Catalog): CatalogFile {
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
    })),
  };
}
