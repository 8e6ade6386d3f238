import { median, medianOfKnown, parseCpuMicros, parseRssBytes } from '../../scripts/bench/metrics';

describe('bench metrics', () => {
  // /proc/<pid>/stat of a process whose command name has a space and a parenthesis in it.
  const stat =
    '4242 (node (bench) x) S 1 4242 4242 0 -1 4194560 9000 0 0 0 1234 567 0 0 20 0 11 0 ' +
    '777 1000000 25000 18446744073709551615 1 1 0 0 0 0 0 4096 17922 0 0 0 17 1 0 0 0 0 0';

  it('reads utime + stime (fields 14 and 15) after the command name, in µs', () => {
    expect(parseCpuMicros(stat, 100)).toBe((1234 + 567) * 10_000);
    expect(parseCpuMicros(stat, 1000)).toBe((1234 + 567) * 1000);
  });

  it('refuses a stat line it cannot read instead of returning NaN', () => {
    expect(() => parseCpuMicros('4242 (node) S 1', 100)).toThrow(/unexpected \/proc/);
  });

  it('reads VmRSS in bytes, and null when the process has none', () => {
    expect(
      parseRssBytes('Name:\tnode\nVmPeak:\t  900 kB\nVmRSS:\t  123456 kB\nThreads:\t11\n'),
    ).toBe(123456 * 1024);
    expect(parseRssBytes('Name:\tnode\nState:\tZ (zombie)\n')).toBeNull();
  });

  it('takes the middle of odd and even counts, ignoring order and unknowns', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNull();
    expect(medianOfKnown([null, 7, null, 1, 4])).toBe(4);
    expect(medianOfKnown([null])).toBeNull();
  });
});
