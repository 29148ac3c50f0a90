import { describe, expect, test } from 'vitest';
import { alertRowVersion } from './alert-rows.js';

describe('alert row versions', () => {
  const now = Date.UTC(2026, 10, 28, 15, 0, 0);

  test('a higher severity outranks a lower one written later, however much later', () => {
    const high = alertRowVersion(3, now, 0);
    expect(alertRowVersion(2, now + 1, 1)).toBeLessThan(high);
    expect(alertRowVersion(2, Date.UTC(2499, 0, 1), 9)).toBeLessThan(high);
    expect(alertRowVersion(1, now + 60_000, 0)).toBeLessThan(alertRowVersion(2, now, 0));
    expect(alertRowVersion(4, now, 0)).toBeGreaterThan(alertRowVersion(3, Date.UTC(2499, 0, 1), 9));
  });

  test('at one severity the later write wins; within a millisecond, the sequence', () => {
    expect(alertRowVersion(2, now + 1, 0)).toBeGreaterThan(alertRowVersion(2, now, 9));
    expect(alertRowVersion(2, now, 1)).toBeGreaterThan(alertRowVersion(2, now, 0));
    expect(alertRowVersion(2, now, 10)).toBe(alertRowVersion(2, now, 0));
  });

  test('exact as numbers for every rank until 2500, and above every version written before (wall microseconds)', () => {
    for (const rank of [1, 2, 3, 4])
      expect(Number.isSafeInteger(alertRowVersion(rank, Date.UTC(2500, 0, 1), 9))).toBe(true);
    const before = Date.UTC(2032, 0, 1) * 1000 + 999;
    expect(alertRowVersion(1, now, 0)).toBeGreaterThan(before);
  });
});
