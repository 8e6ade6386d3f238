import {
  type ChangeOperation,
  ChangeEntityType,
  type ChangeRecord,
  fieldChanges,
  sameValue,
} from './change';
import { InvalidInputError, NotFoundError, RevisionConflictError } from './errors';
import {
  compareFactsInPageOrder,
  type FactCategory,
  type FactRecord,
  type FactVerification,
  UNVERIFIED,
  VerificationStatus,
} from './fact';
import { MAX_RECOMMENDATIONS, type RecommendationRecord } from './recommendation';
import {
  TITLE_CONTENT_FIELDS,
  type TitleContent,
  type TitleRecord,
  type TMDB_OWNED_FIELDS,
  type TmdbSnapshot,
} from './title';

/**
 * A title with everything curated on its page: the aggregate an editor
 * changes. Every editor write is one edit of one aggregate (a pure function
 * from the current aggregate to the next one, below), which a store writes
 * atomically together with the edit's change records. So the rules live here
 * once, and both store adapters apply exactly the same ones.
 *
 * Revisions: a title's `revision` moves (+1, with `updatedAt`) when one of its
 * own fields changes; a fact's when its text, verification or (when moved) its
 * position changes. A fact whose position shifts because another fact was
 * added, moved or removed keeps its revision. Recommendations are one list,
 * replaced whole, with no revision of their own. Ratings never move revisions.
 */
export interface CuratedTitle {
  title: TitleRecord;
  /** Slugs the title had before; they keep resolving to it, and no other title may take them. */
  formerSlugs: string[];
  /** In page order; positions 1..n within each category. */
  facts: FactRecord[];
  /** In order; positions 1..n. */
  recommendations: RecommendationRecord[];
}

/** What an edit needs besides the aggregate: the clock, new ids, and what it is called. */
export interface EditContext {
  now: Date;
  newId(): string;
  operation: ChangeOperation;
}

/** An edit's result: the next aggregate and the change records to store with it. */
export interface TitleEditResult {
  next: CuratedTitle;
  changes: ChangeRecord[];
}

/** A fact's fields the audit trail compares. */
const FACT_FIELDS = ['category', 'position', 'text', 'verification'] as const;
type AuditedFact = Pick<FactRecord, (typeof FACT_FIELDS)[number]>;

export const MAX_FACTS_PER_CATEGORY = 100;

// ---- the edits -----------------------------------------------------------------

/**
 * A new title. `bookkeeping` keeps a catalog file's revision and updatedAt
 * (an import into an empty store reproduces the exported pages exactly).
 */
export function createTitle(
  ctx: EditContext,
  content: TitleContent & Pick<TitleRecord, 'id' | 'tmdbSnapshot'>,
  rest: {
    formerSlugs?: string[];
    facts?: FactRecord[];
    recommendations?: RecommendationRecord[];
  } = {},
  bookkeeping?: Pick<TitleRecord, 'revision' | 'updatedAt'>,
): TitleEditResult {
  const title: TitleRecord = {
    ...content,
    revision: bookkeeping?.revision ?? 1,
    updatedAt: bookkeeping?.updatedAt ?? ctx.now,
  };
  const draft: CuratedTitle = {
    title,
    formerSlugs: rest.formerSlugs ?? [],
    facts: rest.facts ?? [],
    recommendations: rest.recommendations ?? [],
  };
  return commitEdit(ctx, null, draft, { keepNewBookkeeping: bookkeeping !== undefined })!;
}

/**
 * Changes a title's own fields. The caller read revision `expectedRevision`;
 * if the title moved on since, nothing is changed (RevisionConflictError).
 * A new slug (after a rename) keeps the old one as a former slug.
 */
export function updateTitle(
  ctx: EditContext,
  current: CuratedTitle,
  patch: Partial<TitleContent>,
  expectedRevision: number,
): TitleEditResult | null {
  expectRevision('Title', current.title, expectedRevision);
  return commitEdit(ctx, current, { ...current, title: { ...current.title, ...patch } });
}

/** Adds a fact at `position` of its category (1..n+1; default: last). */
export function addFact(
  ctx: EditContext,
  current: CuratedTitle,
  fact: { id: string; category: FactCategory; text: string; position?: number | null },
): TitleEditResult {
  const inCategory = current.facts.filter((f) => f.category === fact.category);
  if (inCategory.length >= MAX_FACTS_PER_CATEGORY) {
    throw new InvalidInputError(
      'category',
      `category ${fact.category} already holds ${MAX_FACTS_PER_CATEGORY} facts, the most a section may; remove one first`,
    );
  }
  const position = fact.position ?? inCategory.length + 1;
  checkPosition(position, inCategory.length + 1);
  const added: FactRecord = {
    id: fact.id,
    titleId: current.title.id,
    category: fact.category,
    position: position - 0.5, // before the fact now at `position`; renumbered below
    text: fact.text,
    verification: UNVERIFIED,
    revision: 1,
    updatedAt: ctx.now,
  };
  return commitEdit(ctx, current, { ...current, facts: [...current.facts, added] })!;
}

/** Changes a fact's text, if the caller read its current revision. */
export function updateFact(
  ctx: EditContext,
  current: CuratedTitle,
  factId: string,
  patch: { text: string },
  expectedRevision: number,
): TitleEditResult | null {
  const fact = findFact(current, factId);
  expectRevision('Fact', fact, expectedRevision);
  return commitEdit(ctx, current, replaceFact(current, { ...fact, text: patch.text }));
}

/** Moves a fact to `position` (1..n) within its category; the others shift. */
export function moveFact(
  ctx: EditContext,
  current: CuratedTitle,
  factId: string,
  position: number,
): TitleEditResult | null {
  const fact = findFact(current, factId);
  const count = current.facts.filter((f) => f.category === fact.category).length;
  checkPosition(position, count);
  if (position === fact.position) return null;
  // Half a step past the fact now at `position`, on the side it comes from.
  const moved = { ...fact, position: position + (position > fact.position ? 0.5 : -0.5) };
  return commitEdit(ctx, current, replaceFact(current, moved), { moved: new Set([factId]) });
}

export function removeFact(
  ctx: EditContext,
  current: CuratedTitle,
  factId: string,
): TitleEditResult {
  findFact(current, factId);
  return commitEdit(ctx, current, {
    ...current,
    facts: current.facts.filter((f) => f.id !== factId),
  })!;
}

/**
 * Sets what an editor found about a fact. A verdict other than UNVERIFIED
 * needs at least one source: readers are told why to believe it.
 */
export function setFactVerification(
  ctx: EditContext,
  current: CuratedTitle,
  factId: string,
  verification: Omit<FactVerification, 'updatedAt'>,
): TitleEditResult | null {
  const fact = findFact(current, factId);
  checkVerification(verification);
  return commitEdit(
    ctx,
    current,
    replaceFact(current, { ...fact, verification: { ...verification, updatedAt: ctx.now } }),
  );
}

/** Replaces the "Watch Next" list (in order). The caller checked the titles exist. */
export function setRecommendations(
  ctx: EditContext,
  current: CuratedTitle,
  items: ReadonlyArray<Pick<RecommendationRecord, 'recommendedTitleId' | 'label' | 'reason'>>,
): TitleEditResult | null {
  checkRecommendations(current.title.id, items);
  return commitEdit(ctx, current, {
    ...current,
    recommendations: items.map((item, i) => ({
      titleId: current.title.id,
      recommendedTitleId: item.recommendedTitleId,
      position: i + 1,
      label: item.label,
      reason: item.reason,
    })),
  });
}

/**
 * Makes the aggregate equal to `incoming` (a catalog file's title): its
 * fields, slug history, facts and recommendations. The TMDB score snapshot is
 * only a starting value: a title that has one keeps it. Null when nothing
 * differs, which is what makes a second import change nothing.
 */
export function replaceCuratedTitle(
  ctx: EditContext,
  current: CuratedTitle | null,
  incoming: CuratedTitle,
): TitleEditResult | null {
  if (current === null) {
    const { revision, updatedAt, ...content } = incoming.title;
    return createTitle(ctx, content, incoming, { revision, updatedAt });
  }
  const title: TitleRecord = {
    ...incoming.title,
    tmdbSnapshot: current.title.tmdbSnapshot ?? incoming.title.tmdbSnapshot,
  };
  const currentPositions = new Map(current.facts.map((f) => [f.id, f.position]));
  const moved = new Set(
    incoming.facts
      .filter((f) => currentPositions.has(f.id) && currentPositions.get(f.id) !== f.position)
      .map((f) => f.id),
  );
  const formerSlugs = [...new Set([...current.formerSlugs, ...incoming.formerSlugs])];
  return commitEdit(ctx, current, { ...incoming, title, formerSlugs }, { moved });
}

/** What TMDB owns on a title: an import sets these and the score snapshot, never curated text. */
export type TmdbOwnedContent = Pick<TitleRecord, (typeof TMDB_OWNED_FIELDS)[number]>;

/**
 * A title from TMDB: created with TMDB's fields, or its TMDB-owned fields
 * (and score snapshot) refreshed, leaving its verdict, facts and existing
 * recommendations as they are. `recommend` adds "Watch Next" entries for
 * titles not listed yet (reason left empty for an editor), up to the maximum.
 */
export function importFromTmdb(
  ctx: EditContext,
  current: CuratedTitle | null,
  tmdb: {
    id: string;
    slug: string;
    tmdbId: number;
    mediaType: TitleRecord['mediaType'];
    content: TmdbOwnedContent;
    snapshot: TmdbSnapshot;
  },
  recommend: ReadonlyArray<Pick<RecommendationRecord, 'recommendedTitleId' | 'label'>> = [],
): TitleEditResult | null {
  const listed = new Set(current?.recommendations.map((r) => r.recommendedTitleId) ?? []);
  const added = recommend
    .filter((r) => !listed.has(r.recommendedTitleId) && r.recommendedTitleId !== tmdb.id)
    .map((r) => ({ ...r, titleId: tmdb.id, position: 0, reason: '' }));
  const recommendations = [...(current?.recommendations ?? []), ...added].slice(
    0,
    MAX_RECOMMENDATIONS,
  );
  if (!current) {
    return createTitle(
      ctx,
      {
        id: tmdb.id,
        slug: tmdb.slug,
        ...tmdb.content,
        mediaType: tmdb.mediaType,
        tmdbId: tmdb.tmdbId,
        tmdbSnapshot: tmdb.snapshot,
        verdictBlurb: null,
      },
      { recommendations },
    );
  }
  return commitEdit(ctx, current, {
    ...current,
    title: { ...current.title, ...tmdb.content, slug: tmdb.slug, tmdbSnapshot: tmdb.snapshot },
    recommendations,
  });
}

// ---- bookkeeping shared by every edit ----------------------------------------------

/**
 * Turns a draft (the current aggregate with the edit's content applied) into
 * the next aggregate: facts renumbered, revisions and updatedAt moved for what
 * changed, the old slug kept, and one change record per changed entity. Null
 * when the draft changes nothing: then nothing is written.
 */
function commitEdit(
  ctx: EditContext,
  current: CuratedTitle | null,
  draft: CuratedTitle,
  options: { moved?: ReadonlySet<string>; keepNewBookkeeping?: boolean } = {},
): TitleEditResult | null {
  const changes: ChangeRecord[] = [];
  const record = (
    entityType: ChangeRecord['entityType'],
    entityId: string,
    revision: number | null,
    fields: ChangeRecord['fields'],
  ) =>
    changes.push({
      id: ctx.newId(),
      at: ctx.now,
      operation: ctx.operation,
      titleId: draft.title.id,
      entityType,
      entityId,
      revision,
      fields,
    });

  // The title's own fields.
  const before = current?.title ?? null;
  const titleFields = fieldChanges<TitleContent>(before, draft.title, TITLE_CONTENT_FIELDS);
  let title = draft.title;
  if (before && titleFields.length > 0) {
    title = { ...draft.title, revision: before.revision + 1, updatedAt: ctx.now };
  } else if (before) {
    title = { ...draft.title, revision: before.revision, updatedAt: before.updatedAt };
  }
  if (titleFields.length > 0) record(ChangeEntityType.TITLE, title.id, title.revision, titleFields);

  let formerSlugs = draft.formerSlugs.filter((slug) => slug !== title.slug);
  if (before && before.slug !== title.slug && !formerSlugs.includes(before.slug)) {
    formerSlugs = [...formerSlugs, before.slug];
  }

  // Facts, by id: added, changed, removed.
  const previous = new Map((current?.facts ?? []).map((f) => [f.id, f]));
  const audited = (f: FactRecord, old: FactRecord | undefined): AuditedFact => ({
    category: f.category,
    // A position that only shifted (another fact came or went) is not this fact's change.
    position: !old || options.moved?.has(f.id) ? f.position : old.position,
    text: f.text,
    verification: { ...f.verification, updatedAt: null },
  });
  const facts = renumber(draft.facts).map((fact): FactRecord => {
    const old = previous.get(fact.id);
    const fields = fieldChanges<AuditedFact>(
      old ? audited(old, old) : null,
      audited(fact, old),
      FACT_FIELDS,
    );
    if (old && fields.length === 0) {
      return {
        ...fact,
        verification: old.verification,
        revision: old.revision,
        updatedAt: old.updatedAt,
      };
    }
    const next: FactRecord =
      !old && options.keepNewBookkeeping
        ? { ...fact, titleId: title.id }
        : {
            ...fact,
            titleId: title.id,
            verification:
              old && sameValue(audited(old, old).verification, audited(fact, old).verification)
                ? old.verification
                : fact.verification,
            revision: old ? old.revision + 1 : 1,
            updatedAt: ctx.now,
          };
    record(ChangeEntityType.FACT, fact.id, next.revision, fields);
    return next;
  });
  const kept = new Set(facts.map((f) => f.id));
  for (const old of current?.facts ?? []) {
    if (kept.has(old.id)) continue;
    record(
      ChangeEntityType.FACT,
      old.id,
      null,
      fieldChanges<AuditedFact>(audited(old, old), null, FACT_FIELDS),
    );
  }

  // Recommendations: one list.
  const recommendations = draft.recommendations.map((rec, i) => ({
    ...rec,
    titleId: title.id,
    position: i + 1,
  }));
  const listed = (recs: RecommendationRecord[]) =>
    recs.map(({ recommendedTitleId, label, reason }) => ({ recommendedTitleId, label, reason }));
  const recommendationFields = fieldChanges(
    { items: listed(current?.recommendations ?? []) },
    { items: listed(recommendations) },
    ['items'],
  );
  if (recommendationFields.length > 0) {
    record(ChangeEntityType.RECOMMENDATIONS, title.id, null, recommendationFields);
  }

  const slugHistoryChanged = !sameValue(current?.formerSlugs ?? [], formerSlugs);
  const snapshotChanged = !sameValue(before?.tmdbSnapshot ?? null, title.tmdbSnapshot);
  if (changes.length === 0 && !slugHistoryChanged && !snapshotChanged) return null;
  return { next: { title, formerSlugs, facts, recommendations }, changes };
}

/** Page order, then positions 1..n per category (a draft may hold fractional positions). */
function renumber(facts: FactRecord[]): FactRecord[] {
  const counters = new Map<FactCategory, number>();
  return [...facts].sort(compareFactsInPageOrder).map((fact) => {
    const position = (counters.get(fact.category) ?? 0) + 1;
    counters.set(fact.category, position);
    return position === fact.position ? fact : { ...fact, position };
  });
}

function expectRevision(
  entity: 'Title' | 'Fact',
  current: { id: string; revision: number },
  expected: number,
): void {
  if (current.revision !== expected) {
    throw new RevisionConflictError(entity, current.id, expected, current.revision);
  }
}

function findFact(current: CuratedTitle, factId: string): FactRecord {
  const fact = current.facts.find((f) => f.id === factId);
  if (!fact) throw new NotFoundError('No fact has this id', 'id');
  return fact;
}

function replaceFact(current: CuratedTitle, fact: FactRecord): CuratedTitle {
  return { ...current, facts: current.facts.map((f) => (f.id === fact.id ? fact : f)) };
}

function checkPosition(position: number, max: number): void {
  if (!Number.isInteger(position) || position < 1 || position > max) {
    throw new InvalidInputError('position', `position must be from 1 to ${max}`);
  }
}

function checkVerification(verification: Omit<FactVerification, 'updatedAt'>): void {
  if (verification.status !== VerificationStatus.UNVERIFIED && verification.sources.length === 0) {
    throw new InvalidInputError(
      'sources',
      `sources must name at least one source for ${verification.status}: readers are told why`,
    );
  }
  const urls = verification.sources.map((s) => s.url);
  const repeated = urls.findIndex((url, i) => urls.indexOf(url) !== i);
  if (repeated >= 0) {
    const field = `sources[${repeated}].url`;
    throw new InvalidInputError(
      field,
      `${field} repeats sources[${urls.indexOf(urls[repeated])}].url: list each source once`,
    );
  }
}

function checkRecommendations(
  titleId: string,
  items: ReadonlyArray<Pick<RecommendationRecord, 'recommendedTitleId'>>,
): void {
  if (items.length > MAX_RECOMMENDATIONS) {
    throw new InvalidInputError('items', `items must hold at most ${MAX_RECOMMENDATIONS} titles`);
  }
  const seen = new Set<string>();
  items.forEach((item, i) => {
    const field = `items[${i}].titleId`;
    if (item.recommendedTitleId === titleId) {
      throw new InvalidInputError(field, `${field} is this title: a title cannot recommend itself`);
    }
    if (seen.has(item.recommendedTitleId)) {
      throw new InvalidInputError(
        field,
        `${field} is listed before: a title can be recommended only once`,
      );
    }
    seen.add(item.recommendedTitleId);
  });
}
