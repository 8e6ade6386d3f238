import { restingRssBytes, steadyValue } from '../../scripts/bench/rest-memory';

const MIB = 2 ** 20;

describe('RSS at rest (issue 21)', () => {
  it('is the last reading once the window stays within the spread, not before', () => {
    expect(steadyValue([100, 101, 102], 3, 3)).toBe(102);
    // Still falling: the window spans more than the spread.
    expect(steadyValue([120, 110, 100], 3, 3)).toBeNull();
    // Too few readings to call it steady.
    expect(steadyValue([100, 100], 3, 3)).toBeNull();
    // Only the last window counts: an early climb no longer matters.
    expect(steadyValue([10, 50, 100, 100, 101], 3, 3)).toBe(101);
  });

  it("reads a live process's resident memory (this one)", async () => {
    const rss = await restingRssBytes(process.pid);
    if (rss === null) return expect(process.platform).not.toBe('linux');
    expect(rss).toBeGreaterThan(10 * MIB);
    expect(rss).toBeLessThan(4096 * MIB);
  });
});
