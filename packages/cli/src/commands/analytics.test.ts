import { describe, expect, it } from 'vitest';
import { analyticsTable } from './analytics.js';

describe('analyticsTable', () => {
  it('turns a usage answer into one row per bucket', () => {
    const rows = analyticsTable('usage', {
      points: [
        {
          ts: '2026-01-01T00:00:00.000Z',
          requests: 4,
          errors: 1,
          error_rate: 0.25,
          rate_limited: 0,
          p50_latency_ms: 3,
          p95_latency_ms: 9,
        },
      ],
    });
    expect(rows).toEqual([
      {
        bucket: '2026-01-01T00:00:00.000Z',
        requests: 4,
        errors: 1,
        error_rate: '25.00 %',
        rate_limited: 0,
        p50_ms: 3,
        p95_ms: 9,
      },
    ]);
  });

  it('flattens geography to one row per city', () => {
    const rows = analyticsTable('geo', {
      countries: [
        {
          country: 'GB',
          requests: 3,
          errors: 0,
          cities: [
            { region: 'ENG', city: 'London', requests: 2, errors: 0 },
            { region: null, city: null, requests: 1, errors: 0 },
          ],
        },
      ],
    });
    expect(rows).toEqual([
      { country: 'GB', region: 'ENG', city: 'London', requests: 2, errors: 0 },
      { country: 'GB', region: '', city: '', requests: 1, errors: 0 },
    ]);
  });
});
