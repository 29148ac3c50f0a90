import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RevocationTrigger, revocationTriggerMessageKey } from './revocation-trigger.js';
import { revocationTriggerArb, withField } from './testing.js';
import { decodeJson, validate } from './validation.js';

const BAD: Record<keyof RevocationTrigger, readonly unknown[]> = {
  v: ['1', undefined],
  trigger_id: ['', undefined],
  ts: ['2025-01-31T12:00:00Z', undefined],
  tenant_id: [null, '', undefined],
  key_id: [null, '', undefined],
  alert_id: [null, undefined],
  reason: ['because', 'suspend_requested', undefined],
  requested_action: ['suspend_requested', 'delete', undefined],
};
const mutationArb = fc
  .constantFrom(...(Object.keys(BAD) as (keyof RevocationTrigger)[]))
  .chain((field) => fc.constantFrom(...BAD[field]).map((value) => ({ field, value })));

describe('RevocationTrigger', () => {
  it('has exactly the fields of the contract', () => {
    expect(Object.keys(RevocationTrigger.shape).sort()).toEqual(Object.keys(BAD).sort());
  });

  it('accepts valid triggers and survives a JSON round trip unchanged', () => {
    fc.assert(
      fc.property(revocationTriggerArb, (trigger) => {
        expect(decodeJson(RevocationTrigger, JSON.stringify(trigger))).toEqual({ ok: true, value: trigger });
      }),
    );
  });

  it('rejects one wrong or missing field and names that field', () => {
    fc.assert(
      fc.property(revocationTriggerArb, mutationArb, (trigger, { field, value }) => {
        const result = validate(RevocationTrigger, withField(trigger, field, value));
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.issues.map((issue) => issue.field)).toEqual([field]);
      }),
    );
  });

  it('is keyed by its key_id', () => {
    expect(revocationTriggerMessageKey({ key_id: 'key_1' })).toBe('key_1');
  });
});
