import { describe, expect, it } from 'vitest';
import { ApiError } from '@keywatch/http-api';
import { segmentsOf, seriesRange, totalsRange } from './params.js';

const t = (text: string) => Date.parse(text);
const iso = (s: { granularity: string; from: number; to: number }) =>
  `${s.granularity} ${new Date(s.from).toISOString().slice(0, 16)}–${new Date(s.to).toISOString().slice(0, 16)}`;

describe('seriesRange', () => {
  it('widens the range to whole buckets', () => {
    expect(seriesRange({ from: '2026-01-01T10:15:30Z', to: '2026-01-01T12:00:01Z' }, 'hour')).toEqual({
      from: t('2026-01-01T10:00:00Z'),
      to: t('2026-01-01T13:00:00Z'),
      granularity: 'hour',
    });
  });

  it('refuses a range with too many points for the interval, naming the interval', () => {
    const call = () => seriesRange({ from: '2026-01-01T00:00:00Z', to: '2026-01-05T00:00:00Z' }, 'minute');
    expect(call).toThrow(ApiError);
    expect(call).toThrow(/at most 2 days/);
  });

  it('refuses from at or after to, and defaults to the last 24 hours', () => {
    expect(() => seriesRange({ from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z' }, 'hour')).toThrow(
      /from must be before to/,
    );
    const now = t('2026-01-02T00:00:00Z');
    expect(seriesRange({}, 'hour', now)).toEqual({ from: t('2026-01-01T00:00:00Z'), to: now, granularity: 'hour' });
  });
});

describe('totalsRange', () => {
  it('cuts a range into minute, hour and day pieces that cover it exactly', () => {
    const { segments } = totalsRange({ from: '2026-01-01T22:30:10Z', to: '2026-01-04T01:20:00Z' });
    expect(segments.map(iso)).toEqual([
      'minute 2026-01-01T22:30–2026-01-01T23:00',
      'hour 2026-01-01T23:00–2026-01-02T00:00',
      'day 2026-01-02T00:00–2026-01-04T00:00',
      'hour 2026-01-04T00:00–2026-01-04T01:00',
      'minute 2026-01-04T01:00–2026-01-04T01:20',
    ]);
  });

  it('uses only minutes inside one hour, and only days for whole days', () => {
    expect(segmentsOf(t('2026-01-01T10:05:00Z'), t('2026-01-01T10:45:00Z')).map(iso)).toEqual([
      'minute 2026-01-01T10:05–2026-01-01T10:45',
    ]);
    expect(segmentsOf(t('2026-01-01T00:00:00Z'), t('2026-01-08T00:00:00Z')).map(iso)).toEqual([
      'day 2026-01-01T00:00–2026-01-08T00:00',
    ]);
  });

  it('covers every minute exactly once for many ranges', () => {
    for (let i = 0; i < 300; i++) {
      const from = t('2026-01-01T00:00:00Z') + Math.floor(Math.random() * 5 * 1440) * 60_000;
      const to = from + (1 + Math.floor(Math.random() * 4 * 1440)) * 60_000;
      const segments = segmentsOf(from, to);
      expect(segments[0]?.from).toBe(from);
      expect(segments.at(-1)?.to).toBe(to);
      segments.forEach((s, j) => j > 0 && expect(s.from).toBe(segments[j - 1]!.to));
    }
  });
});
