import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isEventId, newEventId, newRequestId } from './ids.js';

describe('newEventId', () => {
  it('mints a UUIDv7 carrying the given millisecond timestamp', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 48 - 1 }), (now) => {
        const id = newEventId(now);
        expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        expect(Number.parseInt(id.replaceAll('-', '').slice(0, 12), 16)).toBe(now);
        expect(isEventId(id)).toBe(true);
      }),
    );
  });

  it('sorts ids by their timestamps', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 47 }), fc.integer({ min: 1, max: 2 ** 47 }), (a, delta) => {
        expect(newEventId(a) < newEventId(a + delta)).toBe(true);
      }),
    );
  });
});

describe('pooled ids', () => {
  it('are valid, time-ordered UUIDv7s, unique across pool refills', () => {
    const ids = Array.from({ length: 2_000 }, (_, i) => newEventId(1_800_000_000_000 + i));
    for (const id of ids) expect(isEventId(id), id).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    expect(newRequestId()).toMatch(/^req_[0-9a-f]{12}7[0-9a-f]{3}[89ab][0-9a-f]{15}$/);
  });
});

describe('isEventId', () => {
  it('accepts any UUIDv7 and any ULID', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uuid({ version: 7 }), fc.ulid()), (id) => {
        expect(isEventId(id)).toBe(true);
      }),
    );
  });

  it('refuses other UUID versions and malformed ULIDs', () => {
    fc.assert(
      fc.property(fc.uuid({ version: [1, 4, 6, 8] }), (id) => {
        expect(isEventId(id)).toBe(false);
      }),
    );
    expect(isEventId('01ARZ3NDEKTSV4RRFFQ69G5FAV')).toBe(true);
    expect(isEventId('81ARZ3NDEKTSV4RRFFQ69G5FAV')).toBe(false);
    expect(isEventId('01ARZ3NDEKTSV4RRFFQ69G5FAU')).toBe(false);
    expect(isEventId('01ARZ3NDEKTSV4RRFFQ69G5FA')).toBe(false);
  });
});
