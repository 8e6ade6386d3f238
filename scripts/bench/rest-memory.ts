import { rssBytes } from './metrics';
import type { ServerProcess } from './servers';

/**
 * Issue 21's memory at rest: each server's resident memory (VmRSS, what `ps`
 * and a container's limit see) once it has started, answered the page and
 * gone quiet, before any load. Reelcheck is its default configuration on the
 * embedded store; stock Apollo and Mercurius serve the same page from memory,
 * for comparison.
 */

/** The target: Reelcheck at rest within this much resident memory. */
export const REST_LIMIT_MIB = 100;

export interface RestMemoryResults {
  /** Resident memory at rest in MiB; null where /proc is missing. */
  reelcheckMiB: number | null;
  stockMiB: number | null;
  mercuriusMiB: number | null;
  limitMiB: number;
}

/** Readings 100 ms apart; RSS is at rest once 2 s of them stay within a quarter MiB. */
const READING_INTERVAL_MS = 100;
const STEADY_READINGS = 21;
const STEADY_SPREAD_BYTES = 2 ** 20 / 4;
/** A process still moving after this many readings is read as it is then. */
const MAX_READINGS = 300;

/**
 * The last reading once the last `window` readings lie within `spread` of
 * each other; null while they do not (or there are fewer). Pure, so the
 * rule is tested apart from a process.
 */
export function steadyValue(
  readings: readonly number[],
  window: number,
  spread: number,
): number | null {
  if (readings.length < window) return null;
  const last = readings.slice(-window);
  return Math.max(...last) - Math.min(...last) < spread ? readings[readings.length - 1] : null;
}

/**
 * The process's RSS once it has stopped moving (V8 sweeps and returns pages
 * from background threads for a while after start), in bytes; null where
 * /proc is missing.
 */
export async function restingRssBytes(pid: number): Promise<number | null> {
  const readings: number[] = [];
  for (let i = 0; i < MAX_READINGS; i++) {
    const now = rssBytes(pid);
    if (now === null) return null;
    readings.push(now);
    const steady = steadyValue(readings, STEADY_READINGS, STEADY_SPREAD_BYTES);
    if (steady !== null) return steady;
    await new Promise((resolve) => setTimeout(resolve, READING_INTERVAL_MS));
  }
  return readings[readings.length - 1];
}

/** Reads the three servers at rest, side by side (they are all idle while it reads). */
export async function measureRestMemory(servers: {
  reelcheck: ServerProcess;
  stock: ServerProcess;
  mercurius: ServerProcess;
}): Promise<RestMemoryResults> {
  const mib = (bytes: number | null) => (bytes === null ? null : bytes / 2 ** 20);
  const [reelcheck, stock, mercurius] = await Promise.all(
    [servers.reelcheck, servers.stock, servers.mercurius].map((server) =>
      restingRssBytes(server.pid),
    ),
  );
  return {
    reelcheckMiB: mib(reelcheck),
    stockMiB: mib(stock),
    mercuriusMiB: mib(mercurius),
    limitMiB: REST_LIMIT_MIB,
  };
}
