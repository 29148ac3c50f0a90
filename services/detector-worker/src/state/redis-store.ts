import type { Redis } from '@keywatch/redis';
import { APPLY_PLAN, DEDUP, HASH_MAX } from './lua.js';
import type { Results } from './ops.js';
import { dedupKeyName, parseDedupRecord, type DedupRecord, type DedupRequest, type StateStore } from './store.js';

type ScriptClient = Redis & {
  kwApply(numKeys: number, ...args: string[]): Promise<string>;
  kwDedup(key: string, ...args: string[]): Promise<unknown[]>;
  kwMax(key: string, field: string, value: string): Promise<number>;
};

/** Dedup records outlive their suppression window by this much (wall clock), at least a day. */
const MIN_DEDUP_TTL_S = 86_400;

/** Events per Lua call: enough to amortise the call, few enough to keep Redis responsive to others. */
const PLANS_PER_CALL = 50;

/**
 * Detector state in Redis: every plan is one Lua call (atomic, so two instances updating one IP's
 * window never lose an update), sent as one pipeline per batch. All keys carry the client's prefix.
 * Single-node or Sentinel Redis; on Redis Cluster a plan's keys would need one hash slot.
 */
export function createRedisStore(redis: Redis): StateStore {
  const client = redis as ScriptClient;
  client.defineCommand('kwApply', { lua: APPLY_PLAN });
  client.defineCommand('kwDedup', { lua: DEDUP, numberOfKeys: 1 });
  client.defineCommand('kwMax', { lua: HASH_MAX, numberOfKeys: 1 });
  const prefix = (redis.options.keyPrefix as string | undefined) ?? '';

  async function exec<T>(build: (pipeline: ReturnType<Redis['pipeline']>) => void): Promise<T[]> {
    const pipeline = client.pipeline();
    build(pipeline);
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([error, value]) => {
      if (error) throw error;
      return value as T;
    });
  }

  return {
    async apply(plans) {
      if (plans.length === 0) return [];
      const replies = await exec<string>((p) => {
        for (let i = 0; i < plans.length; i += PLANS_PER_CALL) {
          const chunk = plans.slice(i, i + PLANS_PER_CALL);
          const keys = chunk.flatMap((plan) => plan.keys);
          (p as unknown as ScriptClient).kwApply(keys.length, ...keys, JSON.stringify(chunk.map((plan) => ({ n: plan.keys.length, ops: plan.ops }))));
        }
      });
      // cjson writes an empty list as {}: a plan's results are read with asArray-style care by callers.
      return replies.flatMap((text) => (JSON.parse(text) as unknown[]).map((r): Results => (Array.isArray(r) ? r : [])));
    },

    async dedup(requests: readonly DedupRequest[]): Promise<DedupRecord[]> {
      if (requests.length === 0) return [];
      const replies = await exec<unknown[]>((p) => {
        for (const r of requests) {
          const ttl = Math.max(MIN_DEDUP_TTL_S, Math.ceil((r.suppressionMs * 2) / 1000));
          (p as unknown as ScriptClient).kwDedup(
            dedupKeyName(r.dedupKey),
            r.candidateId,
            String(r.ts),
            String(r.suppressionMs),
            String(r.severityRank),
            String(r.windowStart),
            String(r.windowEnd),
            String(r.repeats),
            String(r.detectedAt),
            String(ttl),
          );
        }
      });
      return replies.map(parseDedupRecord);
    },

    async markPublished(entries) {
      if (entries.length === 0) return;
      await exec((p) => {
        for (const e of entries) (p as unknown as ScriptClient).kwMax(dedupKeyName(e.dedupKey), 'pub', String(e.rank));
      });
    },

    async size() {
      // SCAN's MATCH is not prefixed by ioredis. Bounded: this is for a gauge, not an inventory.
      let cursor = '0';
      let count = 0;
      let rounds = 0;
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        count += keys.length;
        cursor = next;
        rounds += 1;
      } while (cursor !== '0' && rounds < 1000);
      return count;
    },

    async close() {
      client.disconnect();
    },
  };
}
