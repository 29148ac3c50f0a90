import {
  generateKey,
  hashKey,
  keyDisplay,
  keyFingerprint,
  newKeyId,
  type KeyEnvironment,
  type KeyType,
} from '@keywatch/contracts';
import type { KeyRecord } from '@keywatch/keystore';
import { describe, expect, it } from 'vitest';
import { createKeyAuthenticator } from './authenticate.js';
import { keyRefusal } from './check.js';

function testKey(overrides: Partial<KeyRecord> & { type?: KeyType; environment?: KeyEnvironment } = {}): {
  secret: string;
  record: KeyRecord;
} {
  const kind = { type: overrides.type ?? 'secret', environment: overrides.environment ?? 'live' } as const;
  const secret = generateKey(kind);
  const now = new Date().toISOString();
  const record: KeyRecord = {
    id: newKeyId(),
    tenant_id: 'tenant_unit',
    ...kind,
    name: 'unit',
    scopes: ['keys:manage', 'subscriptions:read'],
    state: 'active',
    state_reason: null,
    ...keyDisplay(secret),
    created_at: now,
    created_by: 'root',
    updated_at: now,
    expires_at: null,
    rotated_from: null,
    rotated_to: null,
    allowed_ips: [],
    allowed_origins: [],
    rate_limit: null,
    last_used_at: null,
    version: 1,
    ...overrides,
  };
  return { secret, record };
}

describe('keyRefusal', () => {
  it('checks state, environment, address, origin and scope in that order, only what is asked', () => {
    const now = new Date();
    const past = new Date(now.getTime() - 1000).toISOString();
    const key = (overrides: Parameters<typeof testKey>[0] = {}) => testKey(overrides).record;
    const live = { now, environment: 'live', ip: '203.0.113.5', origin: null, scope: 'subscriptions:read' } as const;
    expect(keyRefusal(key(), live)).toBeNull();
    expect(keyRefusal(key({ state: 'revoked', environment: 'dev' }), live)).toBe('revoked_key');
    expect(keyRefusal(key({ state: 'rotating', expires_at: past }), live)).toBe('expired_key');
    expect(keyRefusal(key({ state: 'suspended' }), live)).toBe('inactive_key');
    expect(keyRefusal(key({ environment: 'dev', allowed_ips: ['198.51.100.0/24'] }), live)).toBe(
      'environment_mismatch',
    );
    expect(
      keyRefusal(key({ allowed_ips: ['198.51.100.0/24'], allowed_origins: ['https://a.example'] }), {
        ...live,
        origin: 'https://b.example',
      }),
    ).toBe('ip_not_allowed');
    expect(
      keyRefusal(key({ allowed_origins: ['https://a.example'] }), {
        ...live,
        origin: 'https://b.example',
        scope: 'payments:write',
      }),
    ).toBe('origin_not_allowed');
    expect(keyRefusal(key(), { ...live, scope: 'payments:write' })).toBe('insufficient_scope');
    // Left out: not checked.
    expect(
      keyRefusal(
        key({ environment: 'dev', allowed_ips: ['198.51.100.0/24'], allowed_origins: ['https://a.example'] }),
        { now, scope: null },
      ),
    ).toBeNull();
    expect(keyRefusal(key({ type: 'publishable' }), { now, scope: 'subscriptions:read' })).toBeNull();
    expect(keyRefusal(key({ type: 'publishable' }), { now, scope: 'subscriptions:read', secretOnly: true })).toBe(
      'insufficient_scope',
    );
  });
});

describe('createKeyAuthenticator', () => {
  const secret = 'unit-fingerprint-secret';
  const rootKey = generateKey({ type: 'secret', environment: 'live' });

  function setup() {
    const records = new Map<string, KeyRecord>();
    const add = (overrides: Parameters<typeof testKey>[0] = {}) => {
      const key = testKey(overrides);
      records.set(hashKey(key.secret), key.record);
      return key;
    };
    const authenticate = createKeyAuthenticator({
      store: { getByHash: async (hash) => records.get(hash) ?? null },
      rootKey,
      fingerprintSecret: secret,
    });
    return { add, authenticate };
  }

  it('answers every outcome with its status, message and what the auth event needs', async () => {
    const { add, authenticate } = setup();
    const ask = (credential: string | null, scope: 'keys:manage' | 'audit:read' = 'keys:manage', ip = '203.0.113.5') =>
      authenticate({ credential, scope, ip });
    const ok = add();
    expect(await ask(ok.secret)).toEqual({
      ok: true,
      caller: { kind: 'key', key: ok.record },
      fingerprint: keyFingerprint(secret, ok.secret),
      parsed: { type: 'secret', environment: 'live' },
    });
    expect(await ask(rootKey)).toMatchObject({ ok: true, caller: { kind: 'root' } });
    expect(await ask(null)).toEqual({
      ok: false,
      outcome: 'missing_key',
      status: 401,
      message: 'send a secret key as Authorization: Bearer <key>',
      fingerprint: null,
    });
    expect(await ask('sk_live_short')).toEqual({
      ok: false,
      outcome: 'malformed_key',
      status: 401,
      message: 'the key is malformed',
      fingerprint: keyFingerprint(secret, 'sk_live_short'),
    });
    expect(await ask(generateKey({ type: 'secret', environment: 'live' }))).toMatchObject({
      ok: false,
      outcome: 'unknown_key',
      status: 401,
      message: 'unknown key',
    });
    const refused: Array<[Parameters<typeof testKey>[0], string, number, string]> = [
      [{ state: 'revoked' }, 'revoked_key', 401, 'this key was revoked'],
      [{ state: 'expired' }, 'expired_key', 401, 'this key has expired'],
      [{ state: 'deactivated' }, 'inactive_key', 401, 'this key is deactivated'],
      [{ state: 'suspended' }, 'inactive_key', 401, 'this key is suspended'],
      [{ allowed_ips: ['198.51.100.0/24'] }, 'ip_not_allowed', 403, 'this key may not be used from this address'],
      [{ scopes: ['subscriptions:read'] }, 'insufficient_scope', 403, 'this call needs a secret key with keys:manage'],
      [{ type: 'publishable' }, 'insufficient_scope', 403, 'this call needs a secret key with keys:manage'],
      // Keywatch's own APIs serve both environments and check no origin.
      [{ environment: 'dev', allowed_origins: ['https://a.example'] }, 'allowed', 0, ''],
    ];
    for (const [overrides, outcome, status, message] of refused) {
      const key = add(overrides);
      const result = await ask(key.secret);
      if (outcome === 'allowed') expect(result.ok).toBe(true);
      else
        expect(result).toMatchObject({
          ok: false,
          outcome,
          status,
          message,
          key: key.record,
          parsed: { type: overrides?.type ?? 'secret', environment: 'live' },
        });
    }
  });

  it('skips what it is not given: no fingerprint secret, no root key, no address', async () => {
    const records = new Map<string, KeyRecord>();
    const key = testKey({ allowed_ips: ['198.51.100.0/24'] });
    records.set(hashKey(key.secret), key.record);
    const authenticate = createKeyAuthenticator({
      store: { getByHash: async (hash) => records.get(hash) ?? null },
      rootKey: '',
    });
    expect(await authenticate({ credential: key.secret, scope: 'keys:manage' })).toMatchObject({
      ok: true,
      fingerprint: null,
    });
    expect(await authenticate({ credential: rootKey, scope: 'keys:manage' })).toMatchObject({
      ok: false,
      outcome: 'unknown_key',
    });
  });
});
