import { createRedis } from '@keywatch/redis';
import { expect, test } from '@keywatch/testkit';
import { Plan } from './ops.js';
import { createRedisStore, shardOf } from './redis-store.js';

const T = Date.parse('2026-03-09T10:02:30.000Z');

/** An event's plan: its guard, a per-key counter (home shard) and a per-tenant counter (another shard), then reads of both. */
function plan(eventId: string, ts: number, keyId: string, tenantId: string): Plan {
  const p = new Plan();
  p.add({ o: 'seen', k: p.key(`seen:${keyId}`, keyId), m: eventId, s: ts, l: 60_000, t: 3600 });
  p.add({ o: 'hincr', k: p.key(`c:${keyId}`, keyId), f: 'n', n: 1, t: 3600 });
  p.add({ o: 'hincr', k: p.key(`c:${tenantId}`, tenantId), f: 'n', n: 1, t: 3600 });
  p.add({ o: 'zadd', k: p.key(`z:${tenantId}`, tenantId), m: eventId, s: ts, t: 3600, cap: 100, lo: 0 });
  p.add({ o: 'hmget', k: p.key(`c:${keyId}`, keyId), f: ['n'] });
  p.add({ o: 'hmget', k: p.key(`c:${tenantId}`, tenantId), f: ['n'] });
  return p;
}

test('a redelivered batch counts nothing twice on any shard, late events change nothing, and every key carries its shard tag', async ({ redis }) => {
  const store = createRedisStore(createRedis({ url: redis.url, keyPrefix: redis.prefix }), { shards: 8 });
  try {
    // Two keys of one tenant: the tenant's counter lives on another shard than at least one key's.
    const batch = () => [plan('e1', T, 'key_a', 'tenant_x'), plan('e2', T + 1000, 'key_b', 'tenant_x'), plan('e3', T + 2000, 'key_a', 'tenant_x')];
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
    const keyC = ['key_c', 'key_d', 'key_e', 'key_f', 'key_g'].find((k) => shardOf(k, 8) !== shardOf('tenant_x', 8)) ?? 'key_c';
    const homeOnly = new Plan();
    homeOnly.add({ o: 'seen', k: homeOnly.key(`seen:${keyC}`, keyC), m: 'e9', s: T + 3000, l: 60_000, t: 3600 });
    homeOnly.add({ o: 'hincr', k: homeOnly.key(`c:${keyC}`, keyC), f: 'n', n: 1, t: 3600 });
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

test('the first claimant of a new alert or a severity rise publishes it; a retry of the same batch may again, another batch may not', async ({ redis }) => {
  const store = createRedisStore(createRedis({ url: redis.url, keyPrefix: redis.prefix }));
  try {
    const request = (claimant: string, severityRank: number) => ({ dedupKey: 'x:ip:1.2.3.4', candidateId: 'alr_a', ts: T, suppressionMs: 3_600_000, severityRank, windowStart: T, windowEnd: T, repeats: 1, detectedAt: Date.now(), claimant });
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
    expect([reopened?.alertId, reopened?.created, reopened?.publish, reopened?.count]).toEqual(['alr_b', true, true, 1]);
  } finally {
    await store.close();
  }
});
