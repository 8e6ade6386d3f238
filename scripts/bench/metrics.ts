import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

/**
 * What the bench reads about a server process (CPU time and resident memory,
 * from Linux's /proc) and the statistics it reports. Each server runs in its
 * own process, so these numbers are that server's alone.
 */

/** Clock ticks per second of /proc/<pid>/stat's CPU times (CLK_TCK; 100 almost everywhere). */
const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * utime + stime in microseconds from the text of /proc/<pid>/stat. The command
 * name (field 2) is in parentheses and may contain spaces, so fields are
 * counted after its closing parenthesis: utime and stime are fields 14 and 15.
 */
export function parseCpuMicros(stat: string, ticksPerSecond = TICKS_PER_SECOND): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so field n is fields[n - 3].
  const utime = Number(fields[14 - 3]);
  const stime = Number(fields[15 - 3]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) {
    throw new Error(`unexpected /proc/<pid>/stat format: ${stat.slice(0, 120)}`);
  }
  return ((utime + stime) * 1e6) / ticksPerSecond;
}

/** VmRSS in bytes from the text of /proc/<pid>/status; null when absent (a zombie). */
export function parseRssBytes(status: string): number | null {
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  return match ? Number(match[1]) * 1024 : null;
}

/** CPU time (user + system) the process has used so far, in µs; null where /proc is missing. */
export function cpuMicros(pid: number): number | null {
  try {
    return parseCpuMicros(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

/** The process's resident memory now, in bytes; null where /proc is missing. */
export function rssBytes(pid: number): number | null {
  try {
    return parseRssBytes(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return null;
  }
}

/** The middle value (mean of the two middle ones for an even count); null for none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Median of the values that are known; null when none is. */
export function medianOfKnown(values: ReadonlyArray<number | null>): number | null {
  return median(values.filter((value): value is number => value !== null));
}

/** Wall time of `work` in milliseconds (high-resolution clock). */
export async function timeMs(work: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - start) / 1e6;
}
