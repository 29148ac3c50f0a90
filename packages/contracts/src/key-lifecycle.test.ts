import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyLifecycleEvent, keyLifecycleMessageKey, KeyState } from './key-lifecycle.js';
import { keyLifecycleEventArb, withField } from './testing.js';
import { decodeJson, validate } from './validation.js';

const BAD: Record<keyof KeyLifecycleEvent, readonly unknown[]> = {
  v: [0, undefined],
  event_id: ['evt_1', undefined],
  ts: ['2025-13-01T00:00:00.000Z', undefined],
  tenant_id: [null, '', undefined],
  key_id: [null, '', undefined],
  type: ['deleted', 'active', undefined],
  actor: ['', null, undefined],
  reason: [42, undefined],
};
const mutationArb = fc
  .constantFrom(...(Object.keys(BAD) as (keyof KeyLifecycleEvent)[]))
  .chain((field) => fc.constantFrom(...BAD[field]).map((value) => ({ field, value })));

describe('KeyLifecycleEvent', () => {
  it('has exactly the fields of the contract', () => {
    expect(Object.keys(KeyLifecycleEvent.shape).sort()).toEqual(Object.keys(BAD).sort());
  });

  it('accepts valid events and survives a JSON round trip unchanged', () => {
    fc.assert(
      fc.property(keyLifecycleEventArb, (event) => {
        expect(decodeJson(KeyLifecycleEvent, JSON.stringify(event))).toEqual({ ok: true, value: event });
      }),
    );
  });

  it('rejects one wrong or missing field and names that field', () => {
    fc.assert(
      fc.property(keyLifecycleEventArb, mutationArb, (event, { field, value }) => {
        const result = validate(KeyLifecycleEvent, withField(event, field, value));
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.issues.map((issue) => issue.field)).toEqual([field]);
      }),
    );
  });

  it('lists every bad field at once', () => {
    fc.assert(
      fc.property(keyLifecycleEventArb, (event) => {
        const result = validate(KeyLifecycleEvent, { ...event, v: 2, type: 'gone', actor: '' });
        expect(result.ok ? [] : result.issues.map((issue) => issue.field)).toEqual(['v', 'type', 'actor']);
      }),
      { numRuns: 10 },
    );
  });

  it('knows the six key states', () => {
    expect(KeyState.options).toEqual(['active', 'rotating', 'deactivated', 'suspended', 'revoked', 'expired']);
  });

  it('is keyed by its key_id', () => {
    expect(keyLifecycleMessageKey({ key_id: 'key_1' })).toBe('key_1');
  });
});
