import type { Logger } from '../logger';
import {
  ChangeOperation,
  type CuratedTitle,
  type EditContext,
  type FactRecord,
  type FactReview,
  type FactVerification,
  InvalidInputError,
  NotFoundError,
  type QueueThreshold,
  RateLimitedError,
  removeFact,
  type ReportInput,
  type ReportRecord,
  resolveReview,
  type ReviewResolution,
  ReviewOutcome,
  type ReviewStatus,
  reviewChange,
  setFactVerification,
  takeUpReview,
  type TitleEditResult,
  updateFact,
  validateReport,
  validFactText,
} from '../model';
import type { RatingRateLimiter } from '../ratings/rate-limit';
import { newStoreId } from '../store/ids';
import type {
  Page,
  ReviewQueueEntry,
  ReviewTransition,
  Store,
  TitleEdit,
  TitleEditOutcome,
} from '../store/port';

/** What the review use case needs from the store: facts, reports, the queue and its transitions. */
export type ReviewServiceStore = Pick<
  Store,
  'factsByIds' | 'fileReport' | 'reportsByIds' | 'reviewQueue' | 'transitionReview'
>;

/** A viewer's report as the API receives it (the fact's store id, parsed from its global id). */
export interface ReportRequest extends ReportInput {
  factId: string;
}

/** Who is reporting: their address spends the rate limit, their request's logger records it. */
export interface Reporter {
  address: string;
  logger: Logger;
}

export interface ReportResult {
  report: ReportRecord;
  /** false when the voter's open report of the fact was replaced. */
  created: boolean;
  /** The fact's review including this report. */
  review: FactReview;
  fact: FactRecord;
}

/** One page of the queue, editors only. */
export interface QueueRequest {
  first: number;
  after: { priority: number; factId: string } | null;
  titleId: string | null;
  status: ReviewStatus | null;
}

/**
 * What an editor's resolution may do to the fact besides closing its review:
 * at most one of these; REMOVED removes the fact and takes neither.
 */
export type ResolutionEdit =
  | { kind: 'none' }
  /** Sets the fact's text (a report's suggestion, or the editor's wording), at the revision the editor read. */
  | { kind: 'text'; text: string; expectedRevision: number }
  /** Sets the fact's verification, as setFactVerification does. */
  | { kind: 'verification'; verification: Omit<FactVerification, 'updatedAt'> };

export interface ResolveRequest {
  factId: string;
  outcome: ReviewOutcome;
  note: string | null;
  edit: ResolutionEdit;
}

export interface TransitionResult {
  review: FactReview;
  resolution: ReviewResolution | null;
  /** The fact after the transition; null when the resolution removed it. */
  fact: FactRecord | null;
}

/**
 * Reports and the review queue (issue 22; docs/reviews.md), the use case
 * beside RatingService and CurationService: the rules come from the model
 * (src/model/report.ts, review.ts, curated-title.ts), the writes from the
 * store's ReviewStore. Resolvers parse ids, call this and map what it
 * returns; domain errors propagate and the GraphQL layer gives them codes.
 */
export class ReviewService {
  private readonly now: () => Date;

  constructor(
    private readonly store: ReviewServiceStore,
    /** The ratings' per-client limit: reports spend the same budget (one policy, one counter). */
    private readonly limiter: Pick<RatingRateLimiter, 'consume'>,
    /** The queue setting (config): take-up and resolution are refused for facts it leaves out. */
    private readonly threshold: QueueThreshold,
    options: { now?: () => Date } = {},
  ) {
    this.now = options.now ?? (() => new Date());
  }

  /** The same service reading and writing through `store` (a request's view of the record cache). */
  through(store: ReviewServiceStore): ReviewService {
    return new ReviewService(store, this.limiter, this.threshold, { now: this.now });
  }

  /**
   * Files `reporter`'s report of a fact, replacing their open one. As for
   * ratings, bad input is refused before the rate limit is spent (it costs
   * nothing and is always BAD_USER_INPUT), and the fact is checked
   * (NOT_FOUND) before anything is written.
   */
  async report(request: ReportRequest, reporter: Reporter): Promise<ReportResult> {
    const report = validateReport(request);
    await this.consume(reporter.address);
    const fact = await this.existingFact(request.factId);
    const result = await this.store.fileReport(
      { factId: fact.id, titleId: fact.titleId, report },
      this.now(),
    );
    reporter.logger.info(
      { factId: fact.id, reason: report.reason, created: result.created },
      'report filed',
    );
    return { ...result, fact };
  }

  /** One page of the queue, highest priority first (editors only: the resolver checks). */
  queue(request: QueueRequest): Promise<Page<ReviewQueueEntry>> {
    return this.store.reviewQueue(request);
  }

  /** An editor takes a queued fact up: from now on its page says UNDER_REVIEW. */
  async takeUp(factId: string): Promise<TransitionResult> {
    const fact = await this.existingFact(factId);
    const about = { factId: fact.id, titleId: fact.titleId };
    const ctx = this.context();
    const transition: ReviewTransition = ({ review, distribution }) => {
      const next = takeUpReview(review, distribution, this.threshold, ctx.now);
      return {
        review: next,
        resolution: null,
        change: reviewChange(ctx, about, review, next, null),
      };
    };
    const outcome = await this.store.transitionReview(fact.id, fact.titleId, transition);
    return { review: outcome.review, resolution: null, fact };
  }

  /**
   * An editor resolves a queued fact's review, closing its open reports, and
   * with it applies at most one change to the fact (a corrected text, a
   * verification, or its removal for REMOVED). Review and fact change are one
   * write (ReviewStore.transitionReview): a refusal of either (not queued,
   * CONFLICT on the fact's revision) leaves both as they were.
   */
  async resolve(request: ResolveRequest): Promise<TransitionResult> {
    const fact = await this.existingFact(request.factId);
    const about = { factId: fact.id, titleId: fact.titleId };
    const editFact = await this.resolutionEdit(fact, request);
    // One time for the review, its change record and the fact's edit.
    const ctx = this.context();
    const transition: ReviewTransition = ({ review, distribution }) => {
      const resolved = resolveReview(ctx, review, distribution, this.threshold, {
        ...about,
        outcome: request.outcome,
        note: request.note,
      });
      return {
        ...resolved,
        change: reviewChange(ctx, about, review, resolved.review, resolved.resolution),
      };
    };
    const edit = editFact
      ? this.titleEdit(
          fact.titleId,
          { ...ctx, operation: ChangeOperation.RESOLVE_REVIEW },
          editFact,
        )
      : undefined;
    const outcome = await this.store.transitionReview(fact.id, fact.titleId, transition, edit);
    return {
      review: outcome.review,
      resolution: outcome.resolution,
      fact: factAfter(fact, outcome.edit),
    };
  }

  /**
   * The change to the fact a resolution asks for, checked against the
   * outcome before anything is written: a new text (a report's suggestion as
   * it is, or the editor's own wording) needs CORRECTED and keeps the fact
   * text rule; REMOVED removes the fact and takes nothing else.
   */
  private async resolutionEdit(
    fact: FactRecord,
    { outcome, edit }: ResolveRequest,
  ): Promise<((ctx: EditContext, current: CuratedTitle) => TitleEditResult | null) | null> {
    if (outcome === ReviewOutcome.REMOVED) {
      if (edit.kind !== 'none') {
        const field = edit.kind === 'verification' ? 'verification' : 'text';
        throw new InvalidInputError(
          field,
          `${field} cannot be given with outcome REMOVED: the fact is removed`,
        );
      }
      return (ctx, current) => removeFact(ctx, current, fact.id);
    }
    switch (edit.kind) {
      case 'none':
        return null;
      case 'verification':
        return (ctx, current) => setFactVerification(ctx, current, fact.id, edit.verification);
      case 'text': {
        if (outcome !== ReviewOutcome.CORRECTED) {
          throw new InvalidInputError(
            'outcome',
            'outcome must be CORRECTED when text is given: a new text corrects the fact',
          );
        }
        const text = validFactText('text', edit.text);
        return (ctx, current) => updateFact(ctx, current, fact.id, { text }, edit.expectedRevision);
      }
    }
  }

  /** The title edit a resolution writes with the review; its change records say resolveReview made them. */
  private titleEdit(
    titleId: string,
    ctx: EditContext,
    apply: (ctx: EditContext, current: CuratedTitle) => TitleEditResult | null,
  ): TitleEdit {
    return {
      titleId,
      apply: (current) => {
        if (!current) throw new NotFoundError('No fact has this factId', 'factId');
        return apply(ctx, current);
      },
    };
  }

  /**
   * The time of one transition and fresh ids (a store may run it again on
   * fresher state: each run takes new ids, the same time).
   */
  private context(): { now: Date; newId(): string } {
    return { now: this.now(), newId: newStoreId };
  }

  /** The ratings' limiter; a refusal says it counts reports too. */
  private async consume(address: string): Promise<void> {
    try {
      await this.limiter.consume(address);
    } catch (error) {
      if (error instanceof RateLimitedError) {
        throw new RateLimitedError(error.retryAfterSeconds, 'ratings and reports');
      }
      throw error;
    }
  }

  private async existingFact(factId: string): Promise<FactRecord> {
    const [fact] = await this.store.factsByIds([factId]);
    if (!fact) throw new NotFoundError('No fact has this factId', 'factId');
    return fact;
  }
}

/** The fact as the transition left it: from the edit's stored title, or as read when nothing was edited. */
function factAfter(before: FactRecord, edit: TitleEditOutcome | null): FactRecord | null {
  if (!edit) return before;
  return edit.title?.facts.find((f) => f.id === before.id) ?? null;
}
