import { BenchError, fetchOk } from './load';
import { median, timeMs } from './metrics';
import { graphqlBody } from './queries';
import { BENCH_SERVER_ENV, UNCACHED_ENV } from './serving';
import { type ServerProcess, startReelcheck } from './servers';
import { workSubdir } from './fixtures';

/**
 * Issue 9's abusive documents must be refused once read, before any work:
 * the time to get the refusal is compared with the time to get an answer to
 * a harmless document of the same size (a comment and `{ __typename }`), so
 * only the work done on the document differs. Sequential requests,
 * alternating, medians; target < 5 (issue 9 measured 4.8 s of CPU before).
 * The response cache is off: it would answer the harmless twin from memory
 * (refusals are never kept), and the ratio would measure the cache.
 */

export interface RefusalResult {
  label: string;
  bytes: number;
  refusalMs: number;
  harmlessMs: number;
}

export const ABUSIVE_DOCUMENTS: Record<string, string> = {
  '1,440 aliased title lookups over a nested fragment': `query($s:String){ ${Array.from(
    { length: 1440 },
    (_, i) => `a${i}:title(slug:$s){...G}`,
  ).join(' ')} } fragment G on Title { facts { text title { facts { text } } } }`,
  '3,000 aliased __schema listings': `{${Array.from(
    { length: 3000 },
    (_, i) => `_${i.toString(36)}:__schema{types{fields{name}}}`,
  ).join('')}}`,
};

/** The same number of bytes as `document`, harmless: a comment, then `{ __typename }`. */
export function harmlessTwin(document: string): string {
  const query = '\n{ __typename }';
  return `#${'x'.repeat(Math.max(0, document.length - query.length - 1))}${query}`;
}

/** Starts a Reelcheck of its own and times each abusive document against its harmless twin. */
export async function measureRefusals(workDir: string, samples: number): Promise<RefusalResult[]> {
  const server = await startReelcheck('reelcheck-refusals', {
    ...BENCH_SERVER_ENV,
    ...UNCACHED_ENV,
    DATA_DIR: workSubdir(workDir, 'refusals'),
  });
  try {
    const results: RefusalResult[] = [];
    for (const [label, document] of Object.entries(ABUSIVE_DOCUMENTS)) {
      const harmless = graphqlBody(harmlessTwin(document));
      const abusive = graphqlBody(document);
      const times = { refusal: [] as number[], harmless: [] as number[] };
      for (let i = 0; i < 2 * samples; i++) {
        const harmlessMs = await timeMs(() => fetchOk(server, harmless));
        const refusalMs = await timeMs(() => expectRefused(server, abusive));
        if (i < samples) continue; // warm-up
        times.harmless.push(harmlessMs);
        times.refusal.push(refusalMs);
      }
      results.push({
        label,
        bytes: Buffer.byteLength(abusive),
        refusalMs: median(times.refusal)!,
        harmlessMs: median(times.harmless)!,
      });
    }
    return results;
  } finally {
    await server.stop();
  }
}

/** POSTs a document that must be refused (a status other than 200, or errors); else a BenchError. */
async function expectRefused(server: ServerProcess, body: string): Promise<void> {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  const text = await response.text();
  if (response.status === 200 && !(JSON.parse(text) as { errors?: unknown }).errors) {
    throw new BenchError(`an abusive document was answered: ${text.slice(0, 300)}`);
  }
}
