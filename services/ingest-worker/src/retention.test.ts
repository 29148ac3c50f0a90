import { describe, expect, it } from 'vitest';
import { expiredPartitions } from './retention.js';

describe('expiredPartitions', () => {
  const now = new Date('2026-03-31T12:00:00Z');

  it('drops day partitions older than the retention plus one day of margin', () => {
    // 30 days before 2026-03-31 is 2026-03-01; one more day of margin keeps 2026-02-28.
    expect(expiredPartitions(['20260226', '20260227', '20260228', '20260301', '20260331'], 'day', 30, now)).toEqual([
      '20260226',
      '20260227',
    ]);
  });

  it('drops a month partition only when all of it is past the cutoff', () => {
    expect(expiredPartitions(['202601', '202602', '202603'], 'month', 30, now)).toEqual(['202601']);
  });

  it('ignores partition values it does not recognise', () => {
    expect(expiredPartitions(['tuple()', '2026', "'; DROP"], 'day', 1, now)).toEqual([]);
  });
});
