import type { Config } from '../config';
import type { Logger } from '../logger';
import type { Store } from '../store/port';
import { TmdbScores, type TmdbScoresOptions } from './scores';

export interface TmdbScoreSourceDependencies {
  config: Config['tmdb'];
  logger: Logger;
  /** Only saveTmdbSnapshot is used: fetched scores become the titles' last known scores. */
  store: Pick<Store, 'saveTmdbSnapshot'>;
  now?: TmdbScoresOptions['now'];
  resilience?: TmdbScoresOptions['resilience'];
  metrics?: TmdbScoresOptions['metrics'];
}

/** Production wiring: the process-wide TmdbScores, writing snapshots to the store. */
export function createTmdbScoreSource({
  config,
  logger,
  store,
  now,
  resilience,
  metrics,
}: TmdbScoreSourceDependencies): TmdbScores {
  return new TmdbScores({
    config,
    logger,
    saveSnapshot: (titleId, snapshot) => store.saveTmdbSnapshot(titleId, snapshot),
    now,
    resilience,
    metrics,
  });
}
