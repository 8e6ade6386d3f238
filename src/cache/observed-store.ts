import type { StoreCallObserver } from '../metrics';
import type { Store } from '../store/port';

/**
 * The adapter with every call timed, for any adapter: a decorator rather
 * than code in each adapter, so a new adapter is measured the same way.
 * Built once at start, under the caches (index.ts), so it times what the
 * database is asked, not what memory answered.
 */
export class ObservedStore implements Store {
  readonly kind: Store['kind'];

  constructor(
    private readonly adapter: Store,
    private readonly observe: StoreCallObserver,
  ) {
    this.kind = adapter.kind;
  }

  titlesByIds(...args: Parameters<Store['titlesByIds']>) {
    return this.timed('titlesByIds', () => this.adapter.titlesByIds(...args));
  }
  titlesBySlugs(...args: Parameters<Store['titlesBySlugs']>) {
    return this.timed('titlesBySlugs', () => this.adapter.titlesBySlugs(...args));
  }
  titlesByTmdbIds(...args: Parameters<Store['titlesByTmdbIds']>) {
    return this.timed('titlesByTmdbIds', () => this.adapter.titlesByTmdbIds(...args));
  }
  listTitles(...args: Parameters<Store['listTitles']>) {
    return this.timed('listTitles', () => this.adapter.listTitles(...args));
  }
  countTitles() {
    return this.timed('countTitles', () => this.adapter.countTitles());
  }
  factsByTitleIds(...args: Parameters<Store['factsByTitleIds']>) {
    return this.timed('factsByTitleIds', () => this.adapter.factsByTitleIds(...args));
  }
  factsByIds(...args: Parameters<Store['factsByIds']>) {
    return this.timed('factsByIds', () => this.adapter.factsByIds(...args));
  }
  recommendationsByTitleIds(...args: Parameters<Store['recommendationsByTitleIds']>) {
    return this.timed('recommendationsByTitleIds', () =>
      this.adapter.recommendationsByTitleIds(...args),
    );
  }
  aggregatesByTargets(...args: Parameters<Store['aggregatesByTargets']>) {
    return this.timed('aggregatesByTargets', () => this.adapter.aggregatesByTargets(...args));
  }
  upsertRating(...args: Parameters<Store['upsertRating']>) {
    return this.timed('upsertRating', () => this.adapter.upsertRating(...args));
  }
  ratingsByIds(...args: Parameters<Store['ratingsByIds']>) {
    return this.timed('ratingsByIds', () => this.adapter.ratingsByIds(...args));
  }
  ratingsOfVoter(...args: Parameters<Store['ratingsOfVoter']>) {
    return this.timed('ratingsOfVoter', () => this.adapter.ratingsOfVoter(...args));
  }
  ratingsByTarget(...args: Parameters<Store['ratingsByTarget']>) {
    return this.timed('ratingsByTarget', () => this.adapter.ratingsByTarget(...args));
  }
  rebuildAggregates(...args: Parameters<Store['rebuildAggregates']>) {
    return this.timed('rebuildAggregates', () => this.adapter.rebuildAggregates(...args));
  }
  saveTmdbSnapshot(...args: Parameters<Store['saveTmdbSnapshot']>) {
    return this.timed('saveTmdbSnapshot', () => this.adapter.saveTmdbSnapshot(...args));
  }
  curatedTitlesByIds(...args: Parameters<Store['curatedTitlesByIds']>) {
    return this.timed('curatedTitlesByIds', () => this.adapter.curatedTitlesByIds(...args));
  }
  editTitles(...args: Parameters<Store['editTitles']>) {
    return this.timed('editTitles', () => this.adapter.editTitles(...args));
  }
  moderateRating(...args: Parameters<Store['moderateRating']>) {
    return this.timed('moderateRating', () => this.adapter.moderateRating(...args));
  }
  commentsOf(...args: Parameters<Store['commentsOf']>) {
    return this.timed('commentsOf', () => this.adapter.commentsOf(...args));
  }
  changesOfTitle(...args: Parameters<Store['changesOfTitle']>) {
    return this.timed('changesOfTitle', () => this.adapter.changesOfTitle(...args));
  }
  changesByIds(...args: Parameters<Store['changesByIds']>) {
    return this.timed('changesByIds', () => this.adapter.changesByIds(...args));
  }
  useQueueThreshold(...args: Parameters<Store['useQueueThreshold']>) {
    return this.timed('useQueueThreshold', () => this.adapter.useQueueThreshold(...args));
  }
  fileReport(...args: Parameters<Store['fileReport']>) {
    return this.timed('fileReport', () => this.adapter.fileReport(...args));
  }
  reviewsOfFacts(...args: Parameters<Store['reviewsOfFacts']>) {
    return this.timed('reviewsOfFacts', () => this.adapter.reviewsOfFacts(...args));
  }
  openReportsOfFacts(...args: Parameters<Store['openReportsOfFacts']>) {
    return this.timed('openReportsOfFacts', () => this.adapter.openReportsOfFacts(...args));
  }
  reportsByIds(...args: Parameters<Store['reportsByIds']>) {
    return this.timed('reportsByIds', () => this.adapter.reportsByIds(...args));
  }
  reviewQueue(...args: Parameters<Store['reviewQueue']>) {
    return this.timed('reviewQueue', () => this.adapter.reviewQueue(...args));
  }
  transitionReview(...args: Parameters<Store['transitionReview']>) {
    return this.timed('transitionReview', () => this.adapter.transitionReview(...args));
  }
  resolutionsByIds(...args: Parameters<Store['resolutionsByIds']>) {
    return this.timed('resolutionsByIds', () => this.adapter.resolutionsByIds(...args));
  }
  putReviewRecords(...args: Parameters<Store['putReviewRecords']>) {
    return this.timed('putReviewRecords', () => this.adapter.putReviewRecords(...args));
  }
  // Iterations for exports and copies, outside requests: passed on untimed (no one call to time).
  allReports() {
    return this.adapter.allReports();
  }
  allResolutions() {
    return this.adapter.allResolutions();
  }
  ping() {
    return this.timed('ping', () => this.adapter.ping());
  }
  close() {
    return this.timed('close', () => this.adapter.close());
  }

  /** The call's answer, its duration observed whichever way it settles. */
  private async timed<T>(method: string, call: () => Promise<T>): Promise<T> {
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    try {
      const answer = await call();
      this.observe(method, 'ok', seconds());
      return answer;
    } catch (error) {
      this.observe(method, 'error', seconds());
      throw error;
    }
  }
}
