import type { Logger } from '../logger';
import {
  type AccuracyAggregate,
  type AccuracySummaryData,
  type FactRecord,
  NotFoundError,
  type RatingRecord,
  type RatingTarget,
  type TitleRecord,
  summarize,
  targetKey,
  validRating,
} from '../model';
import type { Page, PageRequest, Store } from '../store/port';
import type { RatingRateLimiter } from './rate-limit';

/** What the rating use case needs from the store: the target's records, the rating write, comments. */
export type RatingServiceStore = Pick<
  Store,
  'titlesByIds' | 'factsByIds' | 'upsertRating' | 'commentsOf'
>;

/** A viewer's rating as the API receives it: a title page, or one fact on it (factId). */
export interface RateRequest {
  titleId: string;
  factId: string | null;
  voterId: string;
  score: number;
  comment: string | null;
}

/** Who is rating: their address spends the rate limit, their request's logger records the rating. */
export interface Rater {
  address: string;
  logger: Logger;
}

/** The stored rating and the rated target with its fresh accuracy, so clients update at once. */
export interface RateResult {
  rating: RatingRecord;
  aggregate: AccuracyAggregate;
  accuracy: AccuracySummaryData;
  title: TitleRecord;
  fact: FactRecord | null;
  /** false when the voter's earlier rating of the target was replaced. */
  created: boolean;
}

/**
 * Viewers' ratings, the use case beside editors' CurationService: the rules
 * of a rating come from the model (src/model/rating.ts), the write from the
 * store. Resolvers parse arguments, call this and map what it returns;
 * domain errors propagate and the GraphQL layer gives them their codes.
 */
export class RatingService {
  private readonly now: () => Date;

  constructor(
    private readonly store: RatingServiceStore,
    private readonly limiter: Pick<RatingRateLimiter, 'consume'>,
    options: { now?: () => Date } = {},
  ) {
    this.now = options.now ?? (() => new Date());
  }

  /** The same service reading and writing through `store` (a request's view of the record cache). */
  through(store: RatingServiceStore): RatingService {
    return new RatingService(store, this.limiter, { now: this.now });
  }

  /**
   * Records `rater`'s rating, replacing their earlier one of the same target.
   * Order matters: input is validated before the rate limit is spent, so bad
   * input is always BAD_USER_INPUT and costs nothing; the target is checked
   * (NOT_FOUND) before anything is written.
   */
  async rate(request: RateRequest, rater: Rater): Promise<RateResult> {
    const target: RatingTarget =
      request.factId === null
        ? { kind: 'TITLE', titleId: request.titleId }
        : { kind: 'FACT', titleId: request.titleId, factId: request.factId };
    const rating = validRating({ ...request, target });
    await this.limiter.consume(rater.address);
    const { title, fact } = await this.existingTarget(target);
    const result = await this.store.upsertRating(
      { target, voterId: rating.voterId, score: rating.score, comment: rating.comment },
      this.now(),
    );
    rater.logger.info(
      { targetKey: result.aggregate.targetKey, created: result.created },
      'rating recorded',
    );
    return { ...result, accuracy: summarize(result.aggregate), title, fact };
  }

  /** One page of a target's visible comments, newest first (hidden ones left out by the store). */
  comments(target: RatingTarget, page: PageRequest): Promise<Page<RatingRecord>> {
    return this.store.commentsOf(targetKey(target), page);
  }

  /** The rated title (and fact): NOT_FOUND for an unknown title, or a fact that is not on it. */
  private async existingTarget(
    target: RatingTarget,
  ): Promise<{ title: TitleRecord; fact: FactRecord | null }> {
    const [[title], [fact]] = await Promise.all([
      this.store.titlesByIds([target.titleId]),
      target.kind === 'FACT' ? this.store.factsByIds([target.factId]) : [null],
    ]);
    if (!title) throw new NotFoundError('No title has this titleId', 'titleId');
    if (target.kind === 'TITLE') return { title, fact: null };
    if (!fact || fact.titleId !== target.titleId) {
      throw new NotFoundError('No fact with this factId is on that title', 'factId');
    }
    return { title, fact };
  }
}
