import { isDuplicateKeyError } from './errors';

/** Attempts of a write that lost an insert race (E11000) before it gives up. */
export const DUPLICATE_KEY_ATTEMPTS = 5;
/** Compare-and-set attempts of one curated write before it gives up (nothing written). */
export const CAS_ATTEMPTS = 10;

/** Retries work that failed with E11000 (a lost insert race: nothing was written). */
export async function retryOnDuplicateKey<T>(
  work: () => Promise<T>,
  attempts = DUPLICATE_KEY_ATTEMPTS,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!isDuplicateKeyError(error) || attempt >= attempts) throw error;
    }
  }
}
