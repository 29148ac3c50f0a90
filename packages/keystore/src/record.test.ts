import { generateKey, hashKey, keyDisplay, newKeyId, Scope, toEventTime } from '@keywatch/contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyStoreError } from './errors.js';
import { decodeRecord, encodePatchField, encodeRecord, NewKeySchema, checkInput, type StoredRecord } from './record.js';
import type { KeyRecord } from './types.js';

function sample(overrides: Partial<KeyRecord> = {}): StoredRecord {
  const secret = generateKey({ type: 'secret', environment: 'live' });
  return {
    hash: hashKey(secret),
    record: {
      id: newKeyId(),
      tenant_id: 'tenant_prod_xyz789',
      environment: 'live',
      type: 'secret',
      name: 'billing backend',
      scopes: ['subscriptions:read', 'payments:write'],
      state: 'rotating',
      state_reason: 'leaked in a log',
      ...keyDisplay(secret),
      created_at: '2025-01-31T12:00:00.000Z',
      created_by: 'root',
      updated_at: '2025-02-01T08:30:00.125Z',
      expires_at: '2025-03-01T00:00:00.000Z',
      rotated_from: newKeyId(),
      rotated_to: newKeyId(),
      allowed_ips: ['10.0.0.0/8', '2001:db8::/32'],
      allowed_origins: ['https://shop.example'],
      rate_limit: { limit: 100, window_s: 60 },
      last_used_at: '2025-02-01T09:00:00.000Z',
      version: 7,
      ...overrides,
    },
  };
}

function corrupt(field: string, value: string | undefined): unknown {
  const raw = encodeRecord(sample());
  if (value === undefined) delete raw[field];
  else raw[field] = value;
  try {
    decodeRecord(raw, 'key_test');
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('record encoding', () => {
  it('round-trips every field', () => {
    const stored = sample();
    expect(decodeRecord(encodeRecord(stored), stored.record.id)).toEqual(stored);
  });

  it('stores times as Unix milliseconds, arrays and objects as JSON, and leaves null fields out', () => {
    const stored = sample({
      state_reason: null,
      expires_at: null,
      rotated_from: null,
      rotated_to: null,
      rate_limit: null,
      last_used_at: null,
    });
    const raw = encodeRecord(stored);
    expect(raw.created_at).toBe(String(Date.parse('2025-01-31T12:00:00.000Z')));
    expect(raw.scopes).toBe('["subscriptions:read","payments:write"]');
    for (const field of ['state_reason', 'expires_at', 'rotated_from', 'rotated_to', 'rate_limit', 'last_used_at'])
      expect(raw).not.toHaveProperty(field);
    expect(decodeRecord(raw, 'x')).toEqual(stored);
  });

  it('round-trips arbitrary records', () => {
    const time = fc.integer({ min: 0, max: 253402300799999 }).map((ms) => toEventTime(ms));
    fc.assert(
      fc.property(
        fc.record({
          name: fc.string(),
          scopes: fc.uniqueArray(fc.constantFrom(...Scope.options)),
          state_reason: fc.option(fc.string(), { nil: null }),
          created_at: time,
          expires_at: fc.option(time, { nil: null }),
          allowed_ips: fc.array(fc.string({ minLength: 1 })),
          rate_limit: fc.option(fc.record({ limit: fc.integer({ min: 1 }), window_s: fc.integer({ min: 1 }) }), {
            nil: null,
          }),
          version: fc.integer({ min: 1, max: 2 ** 40 }),
        }),
        (fields) => {
          const stored = sample(fields);
          expect(decodeRecord(encodeRecord(stored), 'x')).toEqual(stored);
        },
      ),
    );
  });

  it('ignores fields it does not know, so older readers survive newer writers', () => {
    const stored = sample();
    expect(decodeRecord({ ...encodeRecord(stored), owner_team: 'payments' }, 'x')).toEqual(stored);
  });

  it('refuses a corrupt hash with corrupt_record naming the field', () => {
    const cases: Array<[string, string | undefined]> = [
      ['scopes', '["subscriptions:read"'],
      ['scopes', '["root:everything"]'],
      ['state', 'sleeping'],
      ['created_at', '2025-01-31T12:00:00Z'],
      ['expires_at', '-5'],
      ['version', '0'],
      ['version', 'NaN'],
      ['rotated_to', 'not-a-key-id'],
      ['rate_limit', '{"limit":0,"window_s":60}'],
      ['allowed_ips', '"10.0.0.1"'],
      ['hash', 'abc'],
      ['tenant_id', undefined],
      ['environment', undefined],
    ];
    for (const [field, value] of cases) {
      const error = corrupt(field, value);
      expect(error, `${field}=${String(value)}`).toBeInstanceOf(KeyStoreError);
      expect(error, `${field}=${String(value)}`).toMatchObject({
        code: 'corrupt_record',
        retryable: false,
        details: { key: 'key_test', field },
      });
      expect((error as Error).message).toMatch(new RegExp(`key_test: ${field}[.:]`));
    }
  });

  it('encodes patch fields the way the record stores them', () => {
    expect(encodePatchField('name', 'plain text, not JSON')).toBe('plain text, not JSON');
    expect(encodePatchField('scopes', ['bundles:read'])).toBe('["bundles:read"]');
    expect(encodePatchField('rate_limit', null)).toBeNull();
  });
});

describe('input validation', () => {
  it('names every bad field of a new key', () => {
    const secret = generateKey({ type: 'publishable', environment: 'dev' });
    const key = {
      id: 'key_short',
      hash: hashKey(secret),
      tenant_id: '',
      environment: 'dev',
      type: 'publishable',
      name: 'x',
      scopes: ['bundles:read', 'bundles:read'],
      ...keyDisplay(secret),
      expires_at: 'tomorrow',
      allowed_ips: [],
      allowed_origins: [],
      rate_limit: null,
    };
    expect(() => checkInput(NewKeySchema, key, 'key')).toThrow(/id: .*tenant_id: .*scopes: .*expires_at: /);
    expect(() => checkInput(NewKeySchema, { ...key, extra: 1 }, 'key')).toThrow(KeyStoreError);
  });
});
