import type http from 'node:http';
import DataLoader from 'dataloader';
import type { ResponseCaching } from '../../src/cache/policy';
import { requestContexts } from '../../src/graphql/request/context';
import type { Logger } from '../../src/logger';
import type { Store } from '../../src/store/port';

/** A request's context, as every path to Apollo builds it (src/graphql/request/context.ts). */
describe('request context', () => {
  /** The context factory with a TMDB source that keeps what each loader is told to call. */
  function contextsWithTmdb() {
    const told: Array<(() => void) | undefined> = [];
    const contexts = requestContexts({
      store: {} as Store,
      tmdb: {
        createLoader(onLiveRead) {
          told.push(onLiveRead);
          return new DataLoader(async (keys) => keys.map(() => null));
        },
      },
      ratings: {} as never,
      reviews: {} as never,
      curation: {} as never,
      tmdbImporter: {} as never,
      clientAddress: () => '127.0.0.1',
      editorAccess: async () => ({ kind: 'anonymous' }) as never,
    });
    return { contexts, told };
  }
  const req = {} as http.IncomingMessage;
  const logger = {} as Logger;

  it('marks an answer that may be kept as live once its TMDB loader looks a score up', async () => {
    const { contexts, told } = contextsWithTmdb();
    const responseCaching: ResponseCaching = {
      reads: { bornAt: 0, startedAt: 0, tags: new Set() },
      method: 'POST',
      keep: false,
    };
    await contexts(req, logger, responseCaching);
    expect(responseCaching.reads.live).toBeUndefined();
    told[0]!();
    expect(responseCaching.reads.live).toBe(true);
  });

  it('tells a loader nothing to call for an answer that is not kept', async () => {
    const { contexts, told } = contextsWithTmdb();
    await contexts(req, logger, null);
    expect(told).toEqual([undefined]);
  });
});
