import { createRedis, hasScriptCommand } from '@keywatch/redis';
import { describe, expect, test } from '@keywatch/testkit';
import { vi } from 'vitest';
import { createRateLimiter, type RateLimitResult } from './limiter.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('createRateLimiter', () => {
  test('allows exactly `limit` of 500 concurrent calls from two gateways (two connections)', async ({ redis }) => {
    const other = createRedis({ url: redis.url, keyPrefix: redis.prefix, connectionName: 'second-gateway' });
    try {
      const gateways = [createRateLimiter({ redis: redis.client }), createRateLimiter({ redis: other })];
      const policy = { limit: 100, window_s: 60 };
      const results = await Promise.all(
        Array.from({ length: 500 }, (_, i) => gateways[i % 2]!.limit('key_concurrent', policy)),
      );
      const allowed = results.filter((r) => r.allowed);
      expect(allowed).toHaveLength(100);
      // Each remaining value from 99 down to 0 is handed out exactly once.
      expect(allowed.map((r) => r.remaining).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
      for (const refused of results.filter((r) => !r.allowed)) {
        expect(refused.remaining).toBe(0);
        expect(refused.retryAfterSeconds).toBeGreaterThan(0);
      }
    } finally {
      other.disconnect();
    }
  });

  test('calls on one bucket made while one is in Redis go together in one call, answered as the same calls one after another', async ({
    redis,
  }) => {
    const limiter = createRateLimiter({ redis: redis.client });
    const client = redis.client;
    if (!hasScriptCommand(client, 'keywatchRateLimitGcra') || !hasScriptCommand(client, 'keywatchRateLimitGcraMany'))
      throw new Error('the limiter registers its scripts');
    const single = vi.spyOn(client, 'keywatchRateLimitGcra');
    const many = vi.spyOn(client, 'keywatchRateLimitGcraMany');
    const policy = { limit: 5, window_s: 100 };
    const seen = await Promise.all(Array.from({ length: 7 }, () => limiter.limit('key_together', policy)));
    // The first call is sent at once; the six made while it was in Redis go in one call after it.
    expect(single).toHaveBeenCalledTimes(1);
    expect(many).toHaveBeenCalledTimes(1);
    expect(many.mock.calls[0]?.[4]).toBe(6); // (key count, key, limit, window, count)
    // In call order: the first five allowed, counting down, the last two refused.
    expect(seen.map((r) => r.allowed)).toEqual([true, true, true, true, true, false, false]);
    expect(seen.map((r) => r.remaining)).toEqual([4, 3, 2, 1, 0, 0, 0]);
    expect(seen[0]!.resetSeconds).toBeGreaterThan(18);
    expect(seen[0]!.resetSeconds).toBeLessThanOrEqual(20);
    expect(seen[4]!.resetSeconds).toBeGreaterThan(98);
    for (const refused of seen.slice(5)) {
      expect(refused.retryAfterSeconds).toBeGreaterThan(18);
      expect(refused.retryAfterSeconds).toBeLessThanOrEqual(20);
    }
    // The bucket holds what five single calls would have left: the next call is refused.
    expect((await limiter.limit('key_together', policy)).allowed).toBe(false);
    expect(single).toHaveBeenCalledTimes(2);
    // Calls on other buckets or with another policy are not mixed in: the limit-2 call sees the
    // bucket after the limit-5 call (20 s of its 100 s taken), not a fourth call under limit 5.
    const [a, b, c] = await Promise.all([
      limiter.limit('key_other', policy),
      limiter.limit('key_other', { limit: 2, window_s: 100 }),
      limiter.limit('key_third', policy),
    ]);
    expect([a.remaining, b.remaining, b.limit, c.remaining]).toEqual([4, 0, 2, 4]);
    expect(b.allowed).toBe(true);
  });

  test('remaining counts down to 0, then requests are refused with a Retry-After of about one interval', async ({
    redis,
  }) => {
    const limiter = createRateLimiter({ redis: redis.client });
    // A long window, so that a stall of the machine between calls cannot move the figures much.
    const policy = { limit: 5, window_s: 100 };
    const seen: RateLimitResult[] = [];
    for (let i = 0; i < 7; i += 1) seen.push(await limiter.limit('key_countdown', policy));
    expect(seen.map((r) => r.allowed)).toEqual([true, true, true, true, true, false, false]);
    expect(seen.map((r) => r.remaining)).toEqual([4, 3, 2, 1, 0, 0, 0]);
    expect(seen.every((r) => r.limit === 5)).toBe(true);
    // The emission interval is 100 s / 5 = 20 s: the next request is allowed about 20 s after the burst.
    const refused = seen[5]!;
    expect(refused.retryAfterSeconds).toBeGreaterThan(18);
    expect(refused.retryAfterSeconds).toBeLessThanOrEqual(20);
    // The bucket is full again about one window after the burst.
    expect(refused.resetSeconds).toBeGreaterThan(98);
    expect(refused.resetSeconds).toBeLessThanOrEqual(100);
    expect(seen[0]!.retryAfterSeconds).toBeNull();
    expect(seen[0]!.resetSeconds).toBeGreaterThan(18);
    expect(seen[0]!.resetSeconds).toBeLessThanOrEqual(20);
  });

  test('after Retry-After one more request passes; after the reset the whole burst passes again', async ({ redis }) => {
    const limiter = createRateLimiter({ redis: redis.client });
    // Emission interval 500 ms: a burst would have to stall that long to let a second request in.
    const policy = { limit: 4, window_s: 2 };
    const burst = async () =>
      (await Promise.all(Array.from({ length: 10 }, () => limiter.limit('key_reset', policy)))).filter((r) => r.allowed)
        .length;

    expect(await burst()).toBe(4);
    const refused = await limiter.limit('key_reset', policy);
    expect(refused.allowed).toBe(false);
    await sleep(refused.retryAfterSeconds! * 1000 + 5);
    expect(await burst()).toBe(1);

    const state = await limiter.limit('key_reset', policy, 0);
    expect(state.allowed).toBe(true);
    expect(state.remaining).toBe(0);
    await sleep(state.resetSeconds * 1000 + 5);
    expect(await burst()).toBe(4);
  });

  test('buckets are independent and each lives in its own hash-tagged key that expires with its window', async ({
    redis,
  }) => {
    const limiter = createRateLimiter({ redis: redis.client, keyPrefix: 'gw:' });
    const policy = { limit: 3, window_s: 30 };
    for (let i = 0; i < 5; i += 1) await limiter.limit('key_a', policy);
    expect((await limiter.limit('key_a', policy)).allowed).toBe(false);
    const b = await limiter.limit('key_b', policy);
    expect(b).toMatchObject({ allowed: true, remaining: 2 });

    const ttl = await redis.client.pttl('gw:{rl:key_a}');
    expect(ttl).toBeGreaterThan(29_000);
    expect(ttl).toBeLessThanOrEqual(30_000);
    expect(await redis.client.exists('gw:{rl:key_b}')).toBe(1);
  });

  test('a cost takes several cells; a cost above the limit is refused for good and changes nothing', async ({
    redis,
  }) => {
    const limiter = createRateLimiter({ redis: redis.client });
    const policy = { limit: 10, window_s: 60 };
    expect(await limiter.limit('key_cost', policy, 3)).toMatchObject({ allowed: true, remaining: 7 });
    expect(await limiter.limit('key_cost', policy, 11)).toMatchObject({
      allowed: false,
      remaining: 7,
      retryAfterSeconds: null,
    });
    expect(await limiter.limit('key_cost', policy, 8)).toMatchObject({ allowed: false, remaining: 7 });
    expect(await limiter.limit('key_cost', policy, 7)).toMatchObject({ allowed: true, remaining: 0 });
  });

  test('a peek (cost 0) reports the state without taking anything', async ({ redis }) => {
    const limiter = createRateLimiter({ redis: redis.client });
    const policy = { limit: 2, window_s: 60 };
    expect(await limiter.limit('key_peek', policy, 0)).toMatchObject({ allowed: true, remaining: 2, resetSeconds: 0 });
    expect(await redis.client.exists('{rl:key_peek}')).toBe(0);
    await limiter.limit('key_peek', policy);
    expect(await limiter.limit('key_peek', policy, 0)).toMatchObject({ allowed: true, remaining: 1 });
  });

  test('decisions follow the Redis clock, not the gateway clock', async ({ redis }) => {
    const limiter = createRateLimiter({ redis: redis.client });
    const policy = { limit: 2, window_s: 60 };
    await limiter.limit('key_clock', policy);
    await limiter.limit('key_clock', policy);
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 3_600_000); // this gateway's clock is an hour ahead
      expect((await limiter.limit('key_clock', policy)).allowed).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });

  test('a zero limit refuses everything without touching Redis', async ({ redis }) => {
    const limiter = createRateLimiter({ redis: redis.client });
    expect(await limiter.limit('key_zero', { limit: 0, window_s: 60 })).toEqual({
      allowed: false,
      limit: 0,
      remaining: 0,
      resetSeconds: 0,
      retryAfterSeconds: null,
    });
    expect(await redis.client.exists('{rl:key_zero}')).toBe(0);
  });

  test('an invalid policy, cost, bucket or key prefix is refused with a reason', async ({ redis }) => {
    const limiter = createRateLimiter({ redis: redis.client });
    await expect(limiter.limit('key_x', { limit: -1, window_s: 60 })).rejects.toThrow(/limit/);
    await expect(limiter.limit('key_x', { limit: 1.5, window_s: 60 })).rejects.toThrow(/limit/);
    await expect(limiter.limit('key_x', { limit: 10, window_s: 0 })).rejects.toThrow(/window_s/);
    await expect(limiter.limit('key_x', { limit: 10, window_s: 60 }, -1)).rejects.toThrow(/cost/);
    await expect(limiter.limit('', { limit: 10, window_s: 60 })).rejects.toThrow(/bucket/);
    expect(() => createRateLimiter({ redis: redis.client, keyPrefix: '{gw}:' })).toThrow(/keyPrefix/);
  });
});
