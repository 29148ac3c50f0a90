import { createRedis, hasScriptCommand } from '@keywatch/redis';
import { expect, test } from '@keywatch/testkit';
import { MemoryStore } from './memory-store.js';
import { Plan } from './ops.js';
import { createRedisStore, shardOf } from './redis-store.js';

const T = Date.parse('2026-03-09T10:02:30.000Z');

/** An event's plan: its guard, a per-key counter (home shard) and a per-tenant counter (another shard), then reads of both. */
function plan(eventId: string, ts: number, keyId: string, tenantId: string): Plan {
  const p = new Plan();
  p.add({ kind: 'seen', key: p.key(`seen:${keyId}`, keyId), eventId, ts, latenessMs: 60_000, ttlS: 3600 });
  p.add({ kind: 'hincr', key: p.key(`c:${keyId}`, keyId), field: 'n', by: 1, ttlS: 3600 });
  p.add({ kind: 'hincr', key: p.key(`c:${tenantId}`, tenantId), field: 'n', by: 1, ttlS: 3600 });
  p.add({
    kind: 'zadd',
    key: p.key(`z:${tenantId}`, tenantId),
    member: eventId,
    score: ts,
    ttlS: 3600,
    cap: 100,
    minScore: 0,
  });
  p.add({ kind: 'hmget', key: p.key(`c:${keyId}`, keyId), fields: ['n'] });
  p.add({ kind: 'hmget', key: p.key(`c:${tenantId}`, tenantId), fields: ['n'] });
  return p;
}

test('a redelivered batch counts nothing twice on any shard, late events change nothing, and every key carries its shard tag', async ({
  redis,
}) => {
  const store = createRedisStore(createRedis({ url: redis.url, keyPrefix: redis.prefix }), { shards: 8 });
  try {
    // Two keys of one tenant: the tenant's counter lives on another shard than at least one key's.
    const batch = () => [
      plan('e1', T, 'key_a', 'tenant_x'),
      plan('e2', T + 1000, 'key_b', 'tenant_x'),
      plan('e3', T + 2000, 'key_a', 'tenant_x'),
    ];
    const first = await store.apply(batch());
    expect(first.map((r) => [r[0], r[4], r[5]])).toEqual([
      [1, ['1'], ['1']],
      [1, ['1'], ['2']],
      [1, ['2'], ['3']],
    ]);
    // The same events again (a redelivery): duplicates; the reads run, the counters stay.
    const again = await store.apply(batch());
    expect(again.map((r) => [r[0], r[4], r[5]])).toEqual([
      [0, ['2'], ['3']],
      [0, ['1'], ['3']],
      [0, ['2'], ['3']],
    ]);
    // A crash after the first round: the event is applied on its key's shard, not yet on the
    // tenant's. Its redelivery is a duplicate at home and counts once on the tenant's shard.
    const keyC =
      ['key_c', 'key_d', 'key_e', 'key_f', 'key_g'].find((k) => shardOf(k, 8) !== shardOf('tenant_x', 8)) ?? 'key_c';
    const homeOnly = new Plan();
    homeOnly.add({
      kind: 'seen',
      key: homeOnly.key(`seen:${keyC}`, keyC),
      eventId: 'e9',
      ts: T + 3000,
      latenessMs: 60_000,
      ttlS: 3600,
    });
    homeOnly.add({ kind: 'hincr', key: homeOnly.key(`c:${keyC}`, keyC), field: 'n', by: 1, ttlS: 3600 });
    await store.apply([homeOnly]);
    for (let i = 0; i < 2; i += 1) {
      const [redelivered] = await store.apply([plan('e9', T + 3000, keyC, 'tenant_x')]);
      expect([redelivered?.[0], redelivered?.[4], redelivered?.[5]]).toEqual([0, ['1'], ['4']]);
    }
    // Two minutes behind key_a's watermark: late, nothing written or read.
    const late = await store.apply([plan('e4', T - 120_000, 'key_a', 'tenant_x')]);
    expect(late).toEqual([[-1]]);
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await redis.client.scan(cursor, 'MATCH', `${redis.prefix}*`, 'COUNT', 1000);
      keys.push(...found);
      cursor = next;
    } while (cursor !== '0');
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(key.slice(redis.prefix.length)).toMatch(/^\{d[0-7]\}:/);
    // Every written key has a TTL.
    for (const key of keys) expect(await redis.client.ttl(key.slice(redis.prefix.length))).toBeGreaterThan(0);
  } finally {
    await store.close();
  }
});

test('a window read gives what HMGET of the same field names gives, on Redis and in memory', async ({ redis }) => {
  const store = createRedisStore(createRedis({ url: redis.url, keyPrefix: redis.prefix }), { shards: 8 });
  try {
    // Buckets around hundreds boundaries (the Lua writes a bucket as its hundreds and two digits), below 100, and far beyond 2^31.
    const buckets = [7, 99, 29_931_098, 29_931_099, 29_931_100, 29_931_101, 1_795_864_058_255];
    const p = new Plan();
    p.add({ kind: 'seen', key: p.key('seen:key_w', 'key_w'), eventId: 'w1', ts: T, latenessMs: 60_000, ttlS: 3600 });
    const k = p.key('s:k:key_w', 'key_w');
    buckets.forEach((b, i) => p.add({ kind: 'hincr', key: k, field: `r${b}`, by: i + 1, ttlS: 3600 }));
    p.add({ kind: 'hincr', key: k, field: 'l29931100', by: 5, ttlS: 3600 });
    p.add({ kind: 'window', key: k, metrics: ['r', 'l'], fromBucket: 29_931_097, toBucket: 29_931_101 });
    p.add({ kind: 'window', key: k, metrics: ['r'], fromBucket: 5, toBucket: 7 });
    p.add({ kind: 'window', key: k, metrics: ['r'], fromBucket: 99, toBucket: 99 });
    p.add({ kind: 'window', key: k, metrics: ['r'], fromBucket: 1_795_864_058_255, toBucket: 1_795_864_058_255 });
    p.add({ kind: 'hmget', key: k, fields: ['r29931097', 'r29931098', 'r29931099', 'r29931100', 'r29931101'] });
    const expected = [[false, '3', '4', '5', '6', false, false, false, '5', false], [false, false, '1'], ['2'], ['7']];
    const [onRedis] = await store.apply([p]);
    const [inMemory] = await new MemoryStore().apply([p]);
    const n = buckets.length + 2;
    expect(onRedis?.slice(n, n + 4)).toEqual(expected);
    expect(inMemory?.slice(n, n + 4)).toEqual(expected);
    expect(onRedis?.[n + 4]).toEqual([false, '3', '4', '5', '6']);
  } finally {
    await store.close();
  }
});

test('a conditional ZCOUNT runs only after an operation that returned members, on Redis and in memory', async ({
  redis,
}) => {
  const store = createRedisStore(createRedis({ url: redis.url, keyPrefix: redis.prefix }), { shards: 8 });
  try {
    const p = new Plan();
    p.add({
      kind: 'seen',
      key: p.key('seen:1.2.3.4', '1.2.3.4'),
      eventId: 'c1',
      ts: T,
      latenessMs: 60_000,
      ttlS: 3600,
    });
    const ok = p.key('z:ipok:1.2.3.4', '1.2.3.4');
    const fail = p.key('z:ipf:1.2.3.4', '1.2.3.4');
    p.add({ kind: 'zadd', key: ok, member: 'key_a|t', score: T, ttlS: 3600, cap: 10, minScore: 0 });
    p.add({ kind: 'zrange', key: fail, min: 0, max: T, limit: 10 });
    p.add({ kind: 'zcount', key: ok, min: 0, max: T, ifAny: true });
    p.add({ kind: 'zrange', key: ok, min: 0, max: T, limit: 10 });
    p.add({ kind: 'zcount', key: ok, min: 0, max: T, ifAny: true });
    p.add({ kind: 'zcount', key: ok, min: 0, max: T });
    const expected = [[], false, ['key_a|t', String(T)], 1, 1];
    const [onRedis] = await store.apply([p]);
    const [inMemory] = await new MemoryStore().apply([p]);
    // cjson writes an empty list as {} (the store's readers take it as []).
    expect(onRedis?.slice(2).map((r) => (r !== null && typeof r === 'object' && !Array.isArray(r) ? [] : r))).toEqual(
      expected,
    );
    expect(inMemory?.slice(2)).toEqual(expected);
  } finally {
    await store.close();
  }
});

test('the first claimant of a new alert or a severity rise publishes it; a retry of the same batch may again, another batch may not', async ({
  redis,
}) => {
  const store = createRedisStore(createRedis({ url: redis.url, keyPrefix: redis.prefix }));
  try {
    const request = (claimant: string, severityRank: number) => ({
      dedupKey: 'x:ip:1.2.3.4',
      candidateId: 'alr_a',
      ts: T,
      suppressionMs: 3_600_000,
      severityRank,
      windowStart: T,
      windowEnd: T,
      repeats: 1,
      detectedAt: Date.now(),
      claimant,
    });
    const [opened] = await store.dedup([request('p1:10', 2)]);
    expect([opened?.created, opened?.publish]).toEqual([true, true]);
    const [other] = await store.dedup([request('p2:40', 2)]);
    expect([other?.alertId, other?.created, other?.publish, other?.count]).toEqual(['alr_a', false, false, 2]);
    const [retry] = await store.dedup([request('p1:10', 2)]);
    expect(retry?.publish).toBe(true);
    await store.markPublished([{ dedupKey: 'x:ip:1.2.3.4', rank: 2 }]);
    const [repeat] = await store.dedup([request('p2:41', 2)]);
    expect(repeat?.publish).toBe(false);
    // A higher severity is a new rank to publish, claimed by whoever gets there first.
    const [raised] = await store.dedup([request('p2:42', 3)]);
    expect([raised?.severityRank, raised?.publish]).toEqual([3, true]);
    // The alert people resolved is closed: the candidate opens a new one.
    const [reopened] = await store.dedup([{ ...request('p3:1', 2), candidateId: 'alr_b', closing: 'alr_a' }]);
    expect([reopened?.alertId, reopened?.created, reopened?.publish, reopened?.count]).toEqual([
      'alr_b',
      true,
      true,
      1,
    ]);
  } finally {
    await store.close();
  }
});

test('a batch whose second round failed completes it on redelivery, exactly once, however far its own events moved the watermark', async ({
  redis,
}) => {
  const client = createRedis({ url: redis.url, keyPrefix: redis.prefix });
  const store = createRedisStore(client, { shards: 8 });
  // A Redis timeout in round 2 (calls without a `seen` guard), on the real scripts: the first
  // round's calls run, the second round's fail, `failures` times.
  if (!hasScriptCommand(client, 'kwApply')) throw new Error('the store registers its scripts');
  const real = client.kwApply.bind(client);
  let failures = 0;
  client.kwApply = async (...args) => {
    const plans = String(args.at(-3) ?? '');
    if (failures > 0 && !plans.includes('"seen"')) {
      failures -= 1;
      throw new Error('Command timed out');
    }
    return real(...args);
  };
  try {
    const keyA =
      ['key_a', 'key_b', 'key_c', 'key_d', 'key_e', 'key_f'].find((k) => shardOf(k, 8) !== shardOf('tenant_y', 8)) ??
      'key_a';
    // Three minutes of one key's events in one batch (a backfill, or a lagging consumer): the
    // first attempt moves the watermark past the first event by more than the lateness.
    const batch = () => [
      plan('r1', T, keyA, 'tenant_y'),
      plan('r2', T + 90_000, keyA, 'tenant_y'),
      plan('r3', T + 180_000, keyA, 'tenant_y'),
    ];
    failures = 2;
    await expect(store.apply(batch())).rejects.toThrow('Command timed out');
    // The retry fails in round 2 again (the outage lasts).
    await expect(store.apply(batch())).rejects.toThrow('Command timed out');
    expect(failures).toBe(0);
    // The redelivery: duplicates, not late; the per-key counter stays (the first round counted),
    // the tenant's counts each event once, in order.
    const again = await store.apply(batch());
    expect(again.map((r) => [r[0], r[4], r[5]])).toEqual([
      [0, ['3'], ['1']],
      [0, ['3'], ['2']],
      [0, ['3'], ['3']],
    ]);
    // Once more (a redelivery after a crash before the commit): nothing changes.
    const third = await store.apply(batch());
    expect(third.map((r) => [r[0], r[5]])).toEqual([
      [0, ['3']],
      [0, ['3']],
      [0, ['3']],
    ]);
    // An event never seen, beyond the lateness: still late.
    const late = await store.apply([plan('r0', T + 60_000, keyA, 'tenant_y')]);
    expect(late).toEqual([[-1]]);
    const [tenantCount] = await store.apply([plan('r4', T + 181_000, keyA, 'tenant_y')]);
    expect([tenantCount?.[0], tenantCount?.[5]]).toEqual([1, ['4']]);
  } finally {
    await store.close();
  }
});

test('past the redelivery hold, the seen sets are trimmed to the lateness again', async ({ redis }) => {
  const client = createRedis({ url: redis.url, keyPrefix: redis.prefix });
  const store = createRedisStore(client, { shards: 1, redeliveryHoldMs: 0 });
  try {
    // With no hold each call trims to the previous call's watermark minus the lateness.
    await store.apply([plan('h1', T, 'key_h', 'tenant_h')]);
    await store.apply([plan('h2', T + 180_000, 'key_h', 'tenant_h')]);
    await store.apply([plan('h3', T + 181_000, 'key_h', 'tenant_h')]);
    const members = await client.zrange('{d0}:seen:key_h', 0, -1);
    expect(members).toEqual(['h2', 'h3']);
    // h1 is gone: its redelivery now is late, as it would be for any event that old.
    expect(await store.apply([plan('h1', T, 'key_h', 'tenant_h')])).toEqual([[-1]]);
  } finally {
    await store.close();
  }
});

test('a trim record gets a TTL whenever it is sent, also when it is created again after expiring', async ({
  redis,
}) => {
  const client = createRedis({ url: redis.url, keyPrefix: redis.prefix });
  const store = createRedisStore(client, { shards: 1, redeliveryHoldMs: 0 });
  try {
    await store.apply([plan('t1', T, 'key_t', 'tenant_t')]);
    // As if it expired (eight days without a refresh); the set's own TTL is not due again for days.
    await client.del('{d0}:seen:key_t:tr');
    await store.apply([plan('t2', T + 1_000, 'key_t', 'tenant_t')]);
    expect(await client.hget('{d0}:seen:key_t:tr', 'w')).not.toBeNull();
    expect(await client.ttl('{d0}:seen:key_t:tr')).toBeGreaterThan(0);
  } finally {
    await store.close();
  }
});
