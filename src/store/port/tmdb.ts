import type { TmdbSnapshot } from '../../model';

/** The TMDB layer's memory: its last known score per title, for restarts and outages. */
export interface TmdbSnapshots {
  /** Records the latest TMDB score of a title (last known value for restarts and outages). */
  saveTmdbSnapshot(titleId: string, snapshot: TmdbSnapshot): Promise<void>;
}
