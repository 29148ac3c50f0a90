import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AuthEvent, authEventMessageKey } from './auth-event.js';
import { authEventArb, withField } from './testing.js';
import { decodeJson, validate } from './validation.js';

type Field = keyof AuthEvent;

/** Wrong values per field; `undefined` means the field is left out. */
const BAD: Record<Field, readonly unknown[]> = {
  v: [2, '1', 0, null, undefined],
  event_id: [
    '',
    'evt-1',
    '6ba7b810-9dad-11d1-80b4-00c04fd430c8',
    'f47ac10b-58cc-4372-a567-0e02b2c3d479',
    42,
    undefined,
  ],
  ts: [
    '2025-01-31T12:00:00Z',
    '2025-01-31T12:00:00.000+01:00',
    '2025-02-30T12:00:00.000Z',
    '2025-01-31T24:00:00.000Z',
    '2025-01-31 12:00:00.000Z',
    1738324800000,
    null,
    undefined,
  ],
  gateway_id: ['', null, 7, undefined],
  request_id: ['', null, undefined],
  tenant_id: ['', 5, undefined],
  key_id: ['', 5, {}, undefined],
  key_type: ['public', 'pk', '', undefined],
  environment: ['prod', 'test', undefined],
  key_fingerprint: ['', 123, undefined],
  outcome: ['denied', 'ALLOWED', null, undefined],
  scope: ['', 1, undefined],
  method: ['', null, undefined],
  route: ['v1/customers', '/v1/customers?id=42', '/v1/a b', '', null, undefined],
  status: [99, 600, 200.5, '200', null, undefined],
  latency_ms: [-1, '5', null, undefined],
  ip: ['999.1.1.1', 'localhost', '10.0.0', '', null, undefined],
  user_agent: [5, false, undefined],
  origin: [5, [], undefined],
  rate_limit: [
    'none',
    5,
    { limit: 10, remaining: -1, window_s: 60 },
    { limit: 10, remaining: 1, window_s: 0 },
    { limit: 1.5, remaining: 1, window_s: 60 },
    { limit: 10, remaining: 1 },
    undefined,
  ],
};
const FIELDS = Object.keys(BAD) as Field[];
const mutationArb = fc
  .constantFrom(...FIELDS)
  .chain((field) => fc.constantFrom(...BAD[field]).map((value) => ({ field, value })));

const topLevel = (field: string): string => field.split('.')[0] ?? '';

describe('AuthEvent', () => {
  it('has exactly the fields of the contract', () => {
    expect(Object.keys(AuthEvent.shape).sort()).toEqual([...FIELDS].sort());
  });

  it('accepts valid events and survives a JSON round trip unchanged', () => {
    fc.assert(
      fc.property(authEventArb, (event) => {
        expect(validate(AuthEvent, event)).toEqual({ ok: true, value: event });
        expect(decodeJson(AuthEvent, Buffer.from(JSON.stringify(event)))).toEqual({ ok: true, value: event });
      }),
    );
  });

  it('drops unknown fields instead of refusing them', () => {
    fc.assert(
      fc.property(authEventArb, fc.dictionary(fc.stringMatching(/^x_[a-z]{1,8}$/), fc.jsonValue()), (event, extra) => {
        expect(validate(AuthEvent, { ...extra, ...event })).toEqual({ ok: true, value: event });
      }),
    );
  });

  it('rejects one wrong or missing field and names that field', () => {
    fc.assert(
      fc.property(authEventArb, mutationArb, (event, { field, value }) => {
        const result = validate(AuthEvent, withField(event, field, value));
        expect(result.ok).toBe(false);
        if (result.ok) return;
        expect(result.issues.length).toBeGreaterThan(0);
        for (const issue of result.issues) {
          expect(topLevel(issue.field)).toBe(field);
          expect(issue.reason).not.toBe('');
        }
      }),
    );
  });

  it('says "is required" for a missing field, including nullable ones', () => {
    fc.assert(
      fc.property(authEventArb, fc.constantFrom(...FIELDS), (event, field) => {
        expect(validate(AuthEvent, withField(event, field, undefined))).toEqual({
          ok: false,
          issues: [{ field, reason: 'is required' }],
        });
      }),
    );
  });

  it('lists every bad field when several are wrong', () => {
    const badSetArb = fc
      .uniqueArray(mutationArb, { minLength: 2, maxLength: FIELDS.length, selector: (m) => m.field })
      .filter((mutations) => mutations.length >= 2);
    fc.assert(
      fc.property(authEventArb, badSetArb, (event, mutations) => {
        let input: Record<string, unknown> = event;
        for (const { field, value } of mutations) input = withField(input, field, value);
        const result = validate(AuthEvent, input);
        expect(result.ok).toBe(false);
        if (result.ok) return;
        const named = new Set(result.issues.map((issue) => topLevel(issue.field)));
        expect(named).toEqual(new Set(mutations.map((m) => m.field)));
      }),
    );
  });

  it('names nested rate_limit fields by dotted path', () => {
    fc.assert(
      fc.property(authEventArb, (event) => {
        const result = validate(AuthEvent, { ...event, rate_limit: { limit: 1.5, remaining: 'x', window_s: 60 } });
        expect(result).toEqual({
          ok: false,
          issues: [
            { field: 'rate_limit.limit', reason: 'must be an integer' },
            { field: 'rate_limit.remaining', reason: expect.stringContaining('expected number') },
          ],
        });
      }),
      { numRuns: 10 },
    );
  });

  it('accepts the contract example values', () => {
    const event = {
      v: 1,
      event_id: '0190b6a0-7c4e-7a1b-9c2d-3e4f5a6b7c8d',
      ts: '2025-01-31T12:00:00.123Z',
      gateway_id: 'gw-1',
      request_id: 'req_1',
      tenant_id: 'tenant_dev_abc123',
      key_id: 'key_abcdefghijklmnopqrstuvwx',
      key_type: 'secret',
      environment: 'dev',
      key_fingerprint: '5bdcc146bf60754e',
      outcome: 'allowed',
      scope: 'subscriptions:read',
      method: 'GET',
      route: '/v1/customers/:id',
      status: 200,
      latency_ms: 12.5,
      ip: '2001:db8::1',
      user_agent: 'curl/8.0',
      origin: null,
      rate_limit: { limit: 100, remaining: 99, window_s: 60 },
    };
    expect(validate(AuthEvent, event).ok).toBe(true);
    expect(validate(AuthEvent, { ...event, event_id: '01ARZ3NDEKTSV4RRFFQ69G5FAV', ip: '203.0.113.7' }).ok).toBe(true);
  });
});

describe('authEventMessageKey', () => {
  it('prefers key_id, then key_fingerprint, then ip', () => {
    expect(authEventMessageKey({ key_id: 'key_1', key_fingerprint: 'f', ip: '::1' })).toBe('key_1');
    expect(authEventMessageKey({ key_id: null, key_fingerprint: 'f', ip: '::1' })).toBe('f');
    expect(authEventMessageKey({ key_id: null, key_fingerprint: null, ip: '::1' })).toBe('::1');
  });
});
