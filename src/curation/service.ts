import {
  addFact,
  ChangeOperation,
  createTitle,
  type CuratedTitle,
  type EditContext,
  NotFoundError,
  type FactCategory,
  type FactRecord,
  type FactVerification,
  hideComment,
  type MediaType,
  moveFact,
  pickSlug,
  type RatingRecord,
  removeFact,
  setFactVerification,
  setRecommendations,
  SlugTakenError,
  type TitleContent,
  type TitleEditResult,
  type TitleRecord,
  updateFact,
  updateTitle,
} from '../model';
import { newStoreId } from '../store/ids';
import type { Store, TitleEdit } from '../store/port';

/** What an editor gives for a new title; everything else starts empty. */
export interface NewTitle {
  name: string;
  mediaType: MediaType;
  originalName?: string | null;
  year?: number | null;
  tagline?: string | null;
  overview?: string | null;
  genres?: string[] | null;
  verdictBlurb?: string | null;
  tmdbId?: number | null;
}

/** A title's editable fields; an absent field is left as it is. */
export type TitlePatch = Partial<
  Pick<
    TitleContent,
    'name' | 'originalName' | 'year' | 'tagline' | 'overview' | 'genres' | 'verdictBlurb' | 'tmdbId'
  >
>;

/** A slug race (another title took it between the pick and the write) is retried this often. */
const SLUG_ATTEMPTS = 3;

/**
 * Editors' operations on curated content: validates what the domain needs
 * beyond the input's own rules (that ids name something, slugs), runs the
 * domain's edit (src/model/curated-title.ts) through Store.editTitles, which
 * writes it with its change records atomically. Resolvers call this and
 * nothing else; domain errors propagate and the GraphQL error formatter
 * gives them their codes.
 */
export class CurationService {
  private readonly now: () => Date;

  constructor(
    private readonly store: Store,
    options: { now?: () => Date } = {},
  ) {
    this.now = options.now ?? (() => new Date());
  }

  /** A new title with a slug from its name (year added on a clash), at revision 1. */
  async createTitle(input: NewTitle): Promise<TitleRecord> {
    const id = newStoreId();
    const [title] = await this.withFreeSlug(input.name, input.year ?? null, null, (slug) => ({
      titleId: id,
      apply: (current) => {
        if (current) throw new Error(`store id ${id} is already taken`);
        return createTitle(this.context(ChangeOperation.CREATE_TITLE), {
          id,
          slug,
          name: input.name,
          originalName: input.originalName ?? null,
          mediaType: input.mediaType,
          year: input.year ?? null,
          tagline: input.tagline ?? null,
          overview: input.overview ?? null,
          genres: input.genres ?? [],
          posterPath: null,
          tmdbId: input.tmdbId ?? null,
          tmdbSnapshot: null,
          verdictBlurb: input.verdictBlurb ?? null,
        });
      },
    }));
    return title.title;
  }

  /**
   * Changes a title's fields at `expectedRevision`. A new name gets a new
   * slug from it when its base differs; the old one keeps resolving.
   */
  async updateTitle(
    titleId: string,
    patch: TitlePatch,
    expectedRevision: number,
  ): Promise<TitleRecord> {
    const [existing] = await this.store.titlesByIds([titleId]);
    if (!existing) throw new NotFoundError('No title has this id', 'id');
    const name = patch.name ?? existing.name;
    const year = patch.year === undefined ? existing.year : patch.year;
    const [title] = await this.withFreeSlug(name, year, titleId, (slug) =>
      this.titleEdit(
        titleId,
        (current) =>
          updateTitle(
            this.context(ChangeOperation.UPDATE_TITLE),
            current,
            patch.name === undefined ? patch : { ...patch, slug },
            expectedRevision,
          ),
        'id',
      ),
    );
    return title.title;
  }

  async addFact(
    titleId: string,
    fact: { category: FactCategory; text: string; position?: number | null },
  ): Promise<FactRecord> {
    const id = newStoreId();
    const [title] = await this.edit(
      this.titleEdit(
        titleId,
        (current) => addFact(this.context(ChangeOperation.ADD_FACT), current, { id, ...fact }),
        'titleId',
      ),
    );
    return title.facts.find((f) => f.id === id)!;
  }

  async updateFact(
    factId: string,
    patch: { text: string },
    expectedRevision: number,
  ): Promise<FactRecord> {
    return this.editFact(factId, ChangeOperation.UPDATE_FACT, (ctx, current) =>
      updateFact(ctx, current, factId, patch, expectedRevision),
    );
  }

  async moveFact(factId: string, position: number): Promise<FactRecord> {
    return this.editFact(factId, ChangeOperation.MOVE_FACT, (ctx, current) =>
      moveFact(ctx, current, factId, position),
    );
  }

  async setFactVerification(
    factId: string,
    verification: Omit<FactVerification, 'updatedAt'>,
  ): Promise<FactRecord> {
    return this.editFact(factId, ChangeOperation.SET_FACT_VERIFICATION, (ctx, current) =>
      setFactVerification(ctx, current, factId, verification),
    );
  }

  /** Removes a fact; its ratings stay stored (and counted nowhere). Returns its title. */
  async removeFact(factId: string): Promise<TitleRecord> {
    const titleId = await this.titleOfFact(factId);
    const [title] = await this.edit(
      this.titleEdit(
        titleId,
        (current) => removeFact(this.context(ChangeOperation.REMOVE_FACT), current, factId),
        'id',
      ),
    );
    return title.title;
  }

  /** Replaces "Watch Next"; every recommended title must exist. */
  async setRecommendations(
    titleId: string,
    items: Array<{ titleId: string; label: string; reason: string }>,
  ): Promise<TitleRecord> {
    const found = await this.store.titlesByIds(items.map((item) => item.titleId));
    const missing = found.findIndex((title) => title === null);
    if (missing >= 0) {
      throw new NotFoundError('No title has this titleId', `items[${missing}].titleId`);
    }
    const [title] = await this.edit(
      this.titleEdit(
        titleId,
        (current) =>
          setRecommendations(
            this.context(ChangeOperation.SET_RECOMMENDATIONS),
            current,
            items.map((item) => ({
              recommendedTitleId: item.titleId,
              label: item.label,
              reason: item.reason,
            })),
          ),
        'titleId',
      ),
    );
    return title.title;
  }

  /** Hides a comment from readers, with the reason editors see. */
  async hideRatingComment(ratingId: string, reason: string): Promise<RatingRecord> {
    const rating = await this.store.moderateRating(ratingId, (current) =>
      hideComment({ now: this.now(), newId: newStoreId }, current, reason),
    );
    if (!rating) throw new NotFoundError('No rating has this ratingId', 'ratingId');
    return rating;
  }

  /** The edit context of one operation: the service's clock and fresh ids. */
  context(operation: ChangeOperation): EditContext {
    return { now: this.now(), newId: newStoreId, operation };
  }

  /**
   * One title's edit; NOT_FOUND when there is no such title, naming `field`:
   * the argument the caller gave the title's id in (`id`, `titleId`).
   */
  titleEdit(
    titleId: string,
    apply: (current: CuratedTitle) => TitleEditResult | null,
    field: string,
  ): TitleEdit {
    return {
      titleId,
      apply: (current) => {
        if (!current) throw new NotFoundError(`No title has this ${field}`, field);
        return apply(current);
      },
    };
  }

  /** Runs edits; returns the titles as stored after them (unchanged ones as they are). */
  async edit(...edits: TitleEdit[]): Promise<CuratedTitle[]> {
    const outcomes = await this.store.editTitles(edits);
    return outcomes.map((outcome) => outcome.title!);
  }

  /** An edit of one fact, found by its id, on its title's aggregate; returns the fact after it. */
  private async editFact(
    factId: string,
    operation: ChangeOperation,
    apply: (ctx: EditContext, current: CuratedTitle) => TitleEditResult | null,
  ): Promise<FactRecord> {
    const titleId = await this.titleOfFact(factId);
    const [title] = await this.edit(
      this.titleEdit(titleId, (current) => apply(this.context(operation), current), 'id'),
    );
    const fact = title.facts.find((f) => f.id === factId);
    if (!fact) throw new NotFoundError('No fact has this id', 'id');
    return fact;
  }

  private async titleOfFact(factId: string): Promise<string> {
    const [fact] = await this.store.factsByIds([factId]);
    if (!fact) throw new NotFoundError('No fact has this id', 'id');
    return fact.titleId;
  }

  /**
   * Picks a free slug and runs the edit built for it; if another title took
   * the slug meanwhile (SlugTakenError from the store), picks again.
   */
  private async withFreeSlug(
    name: string,
    year: number | null,
    titleId: string | null,
    build: (slug: string) => TitleEdit,
  ): Promise<CuratedTitle[]> {
    for (let attempt = 1; ; attempt++) {
      const slug = await pickSlug((slugs) => this.store.titlesBySlugs(slugs), name, year, titleId);
      try {
        return await this.edit(build(slug));
      } catch (error) {
        if (!(error instanceof SlugTakenError) || attempt >= SLUG_ATTEMPTS) throw error;
      }
    }
  }
}
