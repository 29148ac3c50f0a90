import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventTime, isEventTime, parseEventTime, Rfc3339, toEventTime } from './time.js';

describe('toEventTime', () => {
  it('writes RFC 3339 UTC with milliseconds', () => {
    expect(toEventTime(Date.UTC(2025, 0, 31, 12, 0, 0, 7))).toBe('2025-01-31T12:00:00.007Z');
  });

  it('round-trips through parseEventTime for any instant', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date(0), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true }),
        (date) => {
          const text = toEventTime(date);
          expect(isEventTime(text)).toBe(true);
          expect(parseEventTime(text)).toEqual(date);
        },
      ),
    );
  });
});

describe('parseEventTime', () => {
  it('accepts offsets, lowercase separators and long fractions', () => {
    expect(parseEventTime('2025-01-31T13:00:00+01:00')?.toISOString()).toBe('2025-01-31T12:00:00.000Z');
    expect(parseEventTime('2025-01-31t12:00:00.123456z')?.toISOString()).toBe('2025-01-31T12:00:00.123Z');
    expect(parseEventTime('2024-02-29T23:59:59.5-00:30')?.toISOString()).toBe('2024-03-01T00:29:59.500Z');
  });

  it('refuses dates that do not exist and times out of range', () => {
    for (const text of [
      '2025-02-29T00:00:00Z',
      '2025-04-31T00:00:00Z',
      '2025-13-01T00:00:00Z',
      '2025-01-00T00:00:00Z',
      '2025-01-31T24:00:00Z',
      '2025-01-31T12:60:00Z',
      '2025-01-31T12:00:60Z',
      '2025-01-31T12:00:00+24:00',
    ]) {
      expect(parseEventTime(text)).toBeNull();
    }
  });

  it('refuses text that is not RFC 3339', () => {
    for (const text of [
      '',
      '2025-01-31',
      '2025-01-31T12:00Z',
      '2025-01-31T12:00:00',
      '2025-01-31 12:00:00Z',
      '1738324800000',
      'now',
    ]) {
      expect(parseEventTime(text)).toBeNull();
    }
  });
});

describe('EventTime and Rfc3339 schemas', () => {
  it('EventTime takes only the UTC millisecond form', () => {
    expect(EventTime.safeParse('2025-01-31T12:00:00.000Z').success).toBe(true);
    expect(EventTime.safeParse('2025-01-31T12:00:00Z').success).toBe(false);
    expect(EventTime.safeParse('2025-01-31T12:00:00.0000Z').success).toBe(false);
    expect(EventTime.safeParse('2025-01-31T12:00:00.000+00:00').success).toBe(false);
  });

  it('Rfc3339 takes any offset and fraction', () => {
    expect(Rfc3339.safeParse('2025-01-31T12:00:00+05:30').success).toBe(true);
    expect(Rfc3339.safeParse('2025-01-31T12:00:00.000Z').success).toBe(true);
    expect(Rfc3339.safeParse('2025-02-30T12:00:00Z').success).toBe(false);
  });
});
