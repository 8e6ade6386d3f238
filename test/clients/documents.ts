import { EXPLORER_DEFAULT_QUERY } from '../../src/graphql/engine/trusted-documents/title-page-query';

/**
 * What an app sends: the README's title page query (the explorer's too) and
 * the README's rating mutation, which selects the rated title's and fact's
 * accuracy so caches update from the answer alone.
 */
export const TITLE_PAGE = EXPLORER_DEFAULT_QUERY;

export const RATE = /* GraphQL */ `
  mutation Rate($input: RateAccuracyInput!) {
    rateAccuracy(input: $input) {
      rating {
        id
        score
        updatedAt
      }
      title {
        id
        accuracy {
          id
          count
          average
          distribution
          verdict
        }
      }
      fact {
        id
        accuracy {
          id
          count
          average
          distribution
          verdict
        }
      }
    }
  }
`;

/** Counts the HTTP requests a client makes, by method, through the real fetch. */
export function countingFetch(): { fetch: typeof fetch; requests: string[] } {
  const requests: string[] = [];
  return {
    requests,
    fetch: (input, init) => {
      requests.push(init?.method ?? 'GET');
      return fetch(input, init);
    },
  };
}

/** Collects console.warn and console.error output while `work` runs: clients warn there. */
export async function collectWarnings(work: () => Promise<void>): Promise<string[]> {
  const warnings: string[] = [];
  const warn = jest.spyOn(console, 'warn').mockImplementation((...args) => {
    warnings.push(args.map(String).join(' '));
  });
  const error = jest.spyOn(console, 'error').mockImplementation((...args) => {
    warnings.push(args.map(String).join(' '));
  });
  try {
    await work();
  } finally {
    warn.mockRestore();
    error.mockRestore();
  }
  return warnings;
}
