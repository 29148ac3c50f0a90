import { generateKey, keyFingerprint } from '@keywatch/contracts';
import { KeyStoreError } from '@keywatch/keystore';
import { createLogger } from '@keywatch/logger';
import { describe, expect, it } from 'vitest';
import { InMemoryKeyLookup, InMemoryRateLimiter, testKey } from './testing.js';
import { createVerifier, type VerifierOptions, type VerifyInput } from './verifier.js';

const logger = createLogger({ name: 'verifier-test', level: 'silent' });

function setup(options: Partial<VerifierOptions> = {}) {
  const store = new InMemoryKeyLookup();
  const limiter = new InMemoryRateLimiter();
  const verifier = createVerifier({
    store,
    limiter,
    environment: 'live',
    fingerprintSecret: 'unit-test-fingerprint-secret',
    logger,
    redisTimeoutMs: 50,
    ...options,
  });
  const input = (credential: string | null, extra: Partial<VerifyInput> = {}): VerifyInput => ({
    credential,
    ip: '203.0.113.5',
    origin: null,
    scope: 'subscriptions:read',
    ...extra,
  });
  return { store, limiter, verifier, input };
}

describe('verifier', () => {
  it('decides every outcome in the documented order', async () => {
    const { store, verifier, input } = setup();
    const add = (overrides: Parameters<typeof testKey>[0] = {}) => {
      const key = testKey(overrides);
      store.add(key.hash, key.record);
      return key.secret;
    };
    const past = new Date(Date.now() - 1000).toISOString();
    const cases: Array<[string, VerifyInput]> = [
      ['allowed', input(add())],
      ['missing_key', input(null)],
      ['malformed_key', input('sk_live_short')],
      ['unknown_key', input(generateKey({ type: 'secret', environment: 'live' }))],
      ['revoked_key', input(add({ state: 'revoked' }))],
      ['expired_key', input(add({ state: 'expired' }))],
      // A rotated key past its grace period is expired even before the sweeper stores it.
      ['expired_key', input(add({ state: 'rotating', expires_at: past }))],
      ['allowed', input(add({ state: 'rotating', expires_at: new Date(Date.now() + 60_000).toISOString() }))],
      ['inactive_key', input(add({ state: 'deactivated' }))],
      ['inactive_key', input(add({ state: 'suspended' }))],
      ['environment_mismatch', input(add({ environment: 'dev' }))],
      // State is checked before environment: a revoked dev key is revoked.
      ['revoked_key', input(add({ environment: 'dev', state: 'revoked' }))],
      ['ip_not_allowed', input(add({ allowed_ips: ['198.51.100.0/24'] }))],
      [
        'origin_not_allowed',
        input(add({ allowed_origins: ['https://app.example.com'] }), { origin: 'https://evil.example' }),
      ],
      ['insufficient_scope', input(add(), { scope: 'payments:write' })],
      ['allowed', input(add(), { scope: null })],
    ];
    for (const [outcome, request] of cases) expect((await verifier.verify(request)).outcome, outcome).toBe(outcome);
  });

  it('refuses a malformed key without a lookup and caches unknown keys', async () => {
    const { store, verifier, input } = setup();
    const valid = generateKey({ type: 'secret', environment: 'live' });
    const flipped = valid.slice(0, -1) + (valid.endsWith('a') ? 'b' : 'a');
    expect((await verifier.verify(input(flipped))).outcome).toBe('malformed_key');
    expect(store.lookups).toBe(0);
    for (let i = 0; i < 3; i += 1) expect((await verifier.verify(input(valid))).outcome).toBe('unknown_key');
    expect(store.lookups).toBe(1);
    const unknown = await verifier.verify(input(valid));
    expect(unknown.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(unknown.kind).toEqual({ type: 'secret', environment: 'live' });
  });

  it('remembers what it derived from a credential (hash, fingerprint, kind) per credential, within its bound', async () => {
    const { store, verifier, input } = setup({ credentialMemo: 1 });
    const keys = [testKey(), testKey({ type: 'publishable', scopes: ['subscriptions:read'] })];
    for (const key of keys) store.add(key.hash, key.record);
    // Alternating over a memo of one entry: every answer must still be the credential's own.
    for (let i = 0; i < 6; i += 1) {
      const key = keys[i % 2]!;
      const result = await verifier.verify(input(key.secret));
      expect(result).toMatchObject({
        outcome: 'allowed',
        fingerprint: keyFingerprint('unit-test-fingerprint-secret', key.secret),
        kind: { type: key.record.type, environment: 'live' },
      });
      expect(result.key?.id).toBe(key.record.id);
    }
    expect(store.lookups).toBe(2);
    // A malformed credential is fingerprinted each time and never remembered.
    const malformed = `${keys[0]!.secret.slice(0, -1)}${keys[0]!.secret.endsWith('a') ? 'b' : 'a'}`;
    for (let i = 0; i < 2; i += 1)
      expect(await verifier.verify(input(malformed))).toMatchObject({
        outcome: 'malformed_key',
        fingerprint: keyFingerprint('unit-test-fingerprint-secret', malformed),
        kind: null,
      });
  });

  it('looks a cold key up once however many requests arrive together', async () => {
    const { store, verifier, input } = setup({ redisTimeoutMs: 500 });
    const key = testKey();
    store.add(key.hash, key.record);
    store.delayMs = 20;
    const results = await Promise.all(Array.from({ length: 50 }, () => verifier.verify(input(key.secret))));
    expect(results.every((r) => r.outcome === 'allowed')).toBe(true);
    expect(store.lookups).toBe(1);
  });

  it('does not cache a record that a lifecycle event overtook', async () => {
    const { store, verifier, input } = setup({ redisTimeoutMs: 500 });
    const key = testKey();
    store.add(key.hash, key.record);
    store.delayMs = 20;
    const pending = verifier.verify(input(key.secret));
    // The key is revoked while the lookup is in flight (the store already answered "active").
    store.add(key.hash, { ...key.record, state: 'revoked' });
    verifier.cache.dropKey(key.record.id);
    expect((await pending).outcome).toBe('allowed');
    expect((await verifier.verify(input(key.secret))).outcome).toBe('revoked_key');
  });

  it('applies the rate limit and reports its state', async () => {
    const { store, verifier, input } = setup();
    const key = testKey({ rate_limit: { limit: 2, window_s: 60 } });
    store.add(key.hash, key.record);
    const outcomes = [];
    for (let i = 0; i < 3; i += 1) outcomes.push(await verifier.verify(input(key.secret)));
    expect(outcomes.map((o) => o.outcome)).toEqual(['allowed', 'allowed', 'rate_limited']);
    expect(outcomes[2]).toMatchObject({ status: 429, rateLimit: { limit: 2, remaining: 0, window_s: 60 } });
  });

  it('fails closed on a slow or failing Redis by default, open where the route says so', async () => {
    const { store, limiter, verifier, input } = setup({ redisTimeoutMs: 30 });
    const cold = testKey();
    store.add(cold.hash, cold.record);
    store.delayMs = 1000;
    const started = performance.now();
    // Refused as rate_limited (the contract's "come back later"), with Retry-After and no limit state.
    expect(await verifier.verify(input(cold.secret))).toMatchObject({
      outcome: 'rate_limited',
      status: 429,
      degraded: 'redis_unavailable',
      rateLimit: null,
      retryAfterSeconds: 1,
    });
    expect(performance.now() - started).toBeLessThan(500);
    expect(await verifier.verify(input(cold.secret, { redisFailure: 'open' }))).toMatchObject({
      outcome: 'allowed',
      key: null,
      degraded: 'redis_unavailable',
    });
    // A cached key is still checked from the cache; only its rate limit needs Redis.
    store.delayMs = 0;
    const limited = testKey({ rate_limit: { limit: 10, window_s: 60 }, scopes: ['bundles:read'] });
    store.add(limited.hash, limited.record);
    expect((await verifier.verify(input(limited.secret, { scope: 'bundles:read' }))).outcome).toBe('allowed');
    limiter.failure = new Error('connection refused');
    store.failure = new Error('connection refused');
    expect(await verifier.verify(input(limited.secret, { scope: 'bundles:read' }))).toMatchObject({
      outcome: 'rate_limited',
      degraded: 'redis_unavailable',
    });
    expect(await verifier.verify(input(limited.secret, { scope: 'bundles:read', redisFailure: 'open' }))).toMatchObject(
      { outcome: 'allowed', rateLimit: null, degraded: 'redis_unavailable' },
    );
    expect(
      (await verifier.verify(input(limited.secret, { scope: 'subscriptions:read', redisFailure: 'open' }))).outcome,
    ).toBe('insufficient_scope');
    expect(verifier.stats().redisFailures).toBeGreaterThanOrEqual(3);
  });

  it('records last use at most once per interval per key', async () => {
    let now = new Date('2026-01-01T00:00:00Z');
    const { store, verifier, input } = setup({ touchIntervalMs: 60_000, clock: () => now });
    const key = testKey();
    store.add(key.hash, key.record);
    for (let i = 0; i < 100; i += 1) await verifier.verify(input(key.secret));
    expect(store.touches).toHaveLength(1);
    now = new Date(now.getTime() + 61_000);
    await verifier.verify(input(key.secret));
    expect(store.touches).toHaveLength(2);
  });

  it('stops calling a failing Redis once the breaker opens, and closes it on the first good probe', async () => {
    let now = 0;
    const { store, limiter, verifier, input } = setup({
      breaker: { failureThreshold: 3, openMs: 1000, now: () => now },
    });
    const keys = Array.from({ length: 6 }, () => testKey({ rate_limit: { limit: 100, window_s: 60 } }));
    for (const key of keys) store.add(key.hash, key.record);
    store.failure = new Error('connection refused');
    for (const key of keys.slice(0, 3))
      expect((await verifier.verify(input(key.secret))).degraded).toBe('redis_unavailable');
    expect(verifier.breaker.state()).toBe('open');
    const lookups = store.lookups;
    const refused = await verifier.verify(input(keys[3]!.secret));
    expect(refused).toMatchObject({
      outcome: 'rate_limited',
      status: 429,
      degraded: 'redis_unavailable',
      retryAfterSeconds: 1,
    });
    // Fail open still lets it through, also without calling Redis.
    expect(await verifier.verify(input(keys[3]!.secret, { redisFailure: 'open' }))).toMatchObject({
      outcome: 'allowed',
      degraded: 'redis_unavailable',
    });
    expect(store.lookups).toBe(lookups);
    expect(verifier.stats().redisFailures).toBe(3);
    store.failure = null;
    limiter.failure = null;
    now += 1000;
    expect(await verifier.verify(input(keys[4]!.secret))).toMatchObject({ outcome: 'allowed', degraded: null });
    expect(verifier.breaker.stats()).toMatchObject({ state: 'closed', opens: 1, probes: 1 });
  });

  it('fails closed on a corrupt record even on a fail-open route, without opening the breaker', async () => {
    const { store, verifier, input } = setup({ breaker: { failureThreshold: 1 } });
    const key = testKey();
    store.add(key.hash, key.record);
    store.failure = new KeyStoreError('corrupt_record', 'corrupt key record');
    await expect(verifier.verify(input(key.secret, { redisFailure: 'open' }))).rejects.toThrow('corrupt key record');
    expect(verifier.breaker.state()).toBe('closed');
  });
});
