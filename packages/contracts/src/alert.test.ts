import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Alert, alertMessageKey } from './alert.js';
import { alertArb, withField } from './testing.js';
import { decodeJson, validate } from './validation.js';

const BAD: Partial<Record<keyof Alert, readonly unknown[]>> = {
  v: [2, undefined],
  alert_id: ['', 3, undefined],
  type: ['brute_force', undefined],
  severity: ['urgent', 'HIGH', undefined],
  ip: ['nope', 5, undefined],
  window_start: ['yesterday', '2025-02-30T00:00:00Z', undefined],
  detected_at: ['2025-01-31', 0, undefined],
  summary: ['', undefined],
  evidence: [null, [], 'counts', undefined],
  dedup_key: ['', undefined],
  action: ['suspend', undefined],
};
const mutationArb = fc
  .constantFrom(...(Object.keys(BAD) as (keyof Alert)[]))
  .chain((field) => fc.constantFrom(...(BAD[field] ?? [])).map((value) => ({ field, value })));

describe('Alert', () => {
  it('accepts valid alerts and survives a JSON round trip unchanged', () => {
    fc.assert(
      fc.property(alertArb, (alert) => {
        expect(decodeJson(Alert, JSON.stringify(alert))).toEqual({ ok: true, value: alert });
      }),
    );
  });

  it('accepts RFC 3339 times with offsets in its windows', () => {
    fc.assert(
      fc.property(alertArb, (alert) => {
        const value = { ...alert, window_start: '2025-01-31T13:00:00+01:00', window_end: '2025-01-31T12:00:01.5Z' };
        expect(validate(Alert, value).ok).toBe(true);
      }),
      { numRuns: 10 },
    );
  });

  it('rejects one wrong or missing field and names that field', () => {
    fc.assert(
      fc.property(alertArb, mutationArb, (alert, { field, value }) => {
        const result = validate(Alert, withField(alert, field, value));
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.issues.map((issue) => issue.field)).toEqual([field]);
      }),
    );
  });

  it('refuses a window that ends before it starts', () => {
    fc.assert(
      fc.property(alertArb, (alert) => {
        const value = { ...alert, window_start: '2025-01-31T12:00:01.000Z', window_end: '2025-01-31T12:00:00.000Z' };
        expect(validate(Alert, value)).toEqual({
          ok: false,
          issues: [{ field: 'window_end', reason: 'must not be before window_start' }],
        });
      }),
      { numRuns: 10 },
    );
  });

  it('refuses a key without a tenant, and an action without a key', () => {
    fc.assert(
      fc.property(alertArb, (alert) => {
        const keyed = { ...alert, key_id: 'key_abcdefghijklmnopqrstuvwx' };
        expect(validate(Alert, { ...keyed, tenant_id: null, action: 'none' })).toMatchObject({
          ok: false,
          issues: [{ field: 'tenant_id' }],
        });
        expect(validate(Alert, { ...alert, tenant_id: 't', key_id: null, action: 'revoke_requested' })).toMatchObject({
          ok: false,
          issues: [{ field: 'key_id' }],
        });
      }),
      { numRuns: 10 },
    );
  });

  it('is keyed by its dedup_key', () => {
    fc.assert(
      fc.property(alertArb, (alert) => {
        expect(alertMessageKey(alert)).toBe(alert.dedup_key);
      }),
      {
        numRuns: 10,
      },
    );
  });
});
