import { createKeyStore, type NewKey } from '@keywatch/keystore';
import { createRateLimiter } from '@keywatch/ratelimit';
import { describe, expect, test } from '@keywatch/testkit';
import { createLogger } from '@keywatch/logger';
import { newTestKey } from '@keywatch/keystore/testing';
import { createLookupAndLimit } from './miss-path.js';
import { createVerifier } from './verifier.js';

const NOW = () => new Date();
const REQUEST = { environment: 'live' as const, scope: 'subscriptions:read' as const, hasOrigin: false };

describe('lookup and rate limit in one call', () => {
  test('reads the record as the keystore does and takes the limit only when the verifier will not refuse', async ({
    redis,
  }) => {
    const store = createKeyStore({ redis: redis.client });
    const limiter = createRateLimiter({ redis: redis.client });
    const combined = createLookupAndLimit({ redis: redis.client });
    const add = async (overrides: Partial<NewKey>) => {
      const { key, secret } = newTestKey({
        allowed_ips: [],
        allowed_origins: [],
        scopes: ['subscriptions:read'],
        rate_limit: { limit: 10, window_s: 60 },
        ...overrides,
      });
      await store.create(key, 'root');
      return { key, secret };
    };
    const plain = await add({});
    const { record, limit } = await combined.run(plain.key.hash, { ...REQUEST, now: NOW() });
    expect(record).toEqual(await store.getByHash(plain.key.hash));
    expect(limit).toMatchObject({ allowed: true, limit: 10, remaining: 9 });
    // The bucket is the rate limiter's own: a cost-0 read sees the request taken.
    expect((await limiter.limit(`key:${plain.key.id}`, { limit: 10, window_s: 60 }, 0)).remaining).toBe(9);

    expect(await combined.run('0'.repeat(64), { ...REQUEST, now: NOW() })).toEqual({ record: null, limit: null });

    // Each of these would be refused (or needs a check only Node makes): the limit is not taken.
    const restricted = [
      await add({ allowed_ips: ['198.51.100.0/24'] }),
      await add({ environment: 'dev' }),
      await add({ scopes: ['bundles:read'], type: 'secret' }),
      await add({ expires_at: new Date(Date.now() + 60_000).toISOString() }),
      await add({ rate_limit: null }),
      await add({ allowed_origins: ['https://app.example.com'] }),
    ];
    const expiresAt = Date.parse(restricted[3]!.key.expires_at!);
    const answers = [
      await combined.run(restricted[0]!.key.hash, { ...REQUEST, now: NOW() }),
      await combined.run(restricted[1]!.key.hash, { ...REQUEST, now: NOW() }),
      await combined.run(restricted[2]!.key.hash, { ...REQUEST, now: NOW() }),
      await combined.run(restricted[3]!.key.hash, { ...REQUEST, now: new Date(expiresAt) }),
      await combined.run(restricted[4]!.key.hash, { ...REQUEST, now: NOW() }),
      await combined.run(restricted[5]!.key.hash, { ...REQUEST, hasOrigin: true, now: NOW() }),
    ];
    for (const [i, answer] of answers.entries()) {
      expect(answer.record?.id, `key ${i}`).toBe(restricted[i]!.key.id);
      expect(answer.limit, `key ${i}`).toBeNull();
      expect(
        (await limiter.limit(`key:${restricted[i]!.key.id}`, { limit: 10, window_s: 60 }, 0)).remaining,
        `key ${i}`,
      ).toBe(10);
    }
    // Not yet expired, and an origin-restricted key called without Origin: taken.
    expect(
      (await combined.run(restricted[3]!.key.hash, { ...REQUEST, now: new Date(expiresAt - 1) })).limit,
    ).not.toBeNull();
    expect((await combined.run(restricted[5]!.key.hash, { ...REQUEST, now: NOW() })).limit).not.toBeNull();
  });

  test('a verifier with it stays exact: limit 5 of 40 concurrent cold requests from two verifiers', async ({
    redis,
  }) => {
    const store = createKeyStore({ redis: redis.client });
    const { key, secret } = newTestKey({
      allowed_ips: [],
      allowed_origins: [],
      scopes: ['subscriptions:read'],
      rate_limit: { limit: 5, window_s: 60 },
    });
    await store.create(key, 'root');
    const logger = createLogger({ name: 'miss-path-it', level: 'silent' });
    const verifiers = [0, 1].map(() =>
      createVerifier({
        store,
        limiter: createRateLimiter({ redis: redis.client }),
        lookupAndLimit: createLookupAndLimit({ redis: redis.client }),
        environment: 'live',
        fingerprintSecret: 'miss-path-integration-secret',
        logger,
      }),
    );
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        verifiers[i % 2]!.verify({ credential: secret, ip: '203.0.113.9', origin: null, scope: 'subscriptions:read' }),
      ),
    );
    expect(results.filter((r) => r.outcome === 'allowed')).toHaveLength(5);
    expect(results.filter((r) => r.outcome === 'rate_limited')).toHaveLength(35);
    // One combined call per verifier for the cold key; the rest joined it and took their own limit.
    for (const verifier of verifiers) expect(verifier.stats().lookups).toBe(1);
  });
});
