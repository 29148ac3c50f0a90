import { crc32 } from 'node:zlib';
import type { Redis } from '@keywatch/redis';
import { APPLY_PLAN, DEDUP, encodeApplied, encodeOp, HASH_MAX, type WireOp } from './apply-plan.js';
import type { Op } from './ops.js';
import {
  CLAIM_MS,
  dedupEntity,
  dedupKeyName,
  parseDedupRecord,
  type DedupRecord,
  type DedupRequest,
  type StateStore,
} from './store.js';

export interface RedisStoreOptions {
  /** State shards (hash slots): one Lua call per shard and phase of a batch. Default 16. */
  shards?: number;
  /** Event plans per Lua call at most, so one call never holds Redis for long. Default 250. */
  plansPerCall?: number;
  /** Bounded lateness (ms), for trimming the applied-event sets of non-home shards. Default 60 000. */
  latenessMs?: number;
  /**
   * How long (wall ms) a processed event stays recognisable as a duplicate, however far the
   * watermark moved since: a batch redelivered within this time completes exactly once. Default
   * 60 000 (see README, "Redelivery").
   */
  redeliveryHoldMs?: number;
}

/** Dedup records outlive their suppression window by this much (wall clock), at least a day. */
const MIN_DEDUP_TTL_S = 86_400;
/** Applied-event sets live as long as the seen sets (see engine.ts). */
const APPLIED_TTL_S = 8 * 86_400;
/** Keys whose TTL this process refreshed, remembered at most this many (then forgotten, and refreshed again). */
const MAX_REFRESHED = 200_000;

/**
 * Writes that change state again when repeated (counters). The others (ZADD GT of a member and
 * score, HSETNX) are idempotent: a part with none of these needs no applied-set guard.
 */
const counts = (op: Op) => op.kind === 'hincr' || op.kind === 'geo' || (op.kind === 'baseline' && op.count);

/** The shard of an entity: a stable hash, so every instance and every restart agrees. */
export const shardOf = (entity: string, shards: number) => crc32(entity) % shards;

/** A key's name in its shard: the `{dN}` hash tag keeps a shard's keys in one Redis Cluster slot. */
export const shardKey = (shard: number, name: string) => `{d${shard}}:${name}`;

/** One event's operations on one shard, with their positions in the event's plan. */
interface Part {
  plan: number;
  keys: string[];
  /** Encoded operations (encodeOp). */
  ops: WireOp[];
  /** Some operation counts (see COUNTING): outside the home shard, the part needs its guard. */
  counting: boolean;
  /** Index in the event's plan of each op (-1 for the `ap` guard the store added). */
  at: number[];
}

/**
 * Detector state in Redis, spread over `shards` hash-tagged shards by entity so every Lua call
 * touches one slot. A batch costs two rounds, one call per touched shard each: the message keys'
 * shards (`seen` guard, per-key state), then the other shards, guarded by applied-event sets so a
 * crash between the rounds counts each event once (README, "State and throughput").
 */
export function createRedisStore(redis: Redis, options: RedisStoreOptions = {}): StateStore {
  const applyPlan = APPLY_PLAN.on(redis);
  const dedup = DEDUP.on(redis);
  const hashMax = HASH_MAX.on(redis);
  const prefix = redis.options.keyPrefix ?? '';
  const shards = options.shards ?? 16;
  const plansPerCall = options.plansPerCall ?? 250;
  const latenessMs = options.latenessMs ?? 60_000;
  const holdMs = options.redeliveryHoldMs ?? 60_000;
  const refreshed = new Map<string, number>();
  const dedupName = (dedupKey: string) => shardKey(shardOf(dedupEntity(dedupKey), shards), dedupKeyName(dedupKey));

  /** Runs parts on one shard (in order, chunked) and returns each part's results. */
  async function runShard(parts: readonly Part[]): Promise<unknown[][]> {
    const now = String(Date.now());
    const hold = String(holdMs);
    const calls: Array<Promise<string>> = [];
    for (let i = 0; i < parts.length; i += plansPerCall) {
      // Each key once per call (a key id's, a tenant's, an IP's keys recur from event to event);
      // each part maps its own key indexes to the call's.
      const keys: string[] = [];
      const index = new Map<string, number>();
      const encoded: unknown[] = [];
      for (let j = i; j < Math.min(parts.length, i + plansPerCall); j += 1) {
        const part = parts[j] as Part;
        const map = new Array<number>(part.keys.length);
        for (let x = 0; x < part.keys.length; x += 1) {
          const name = part.keys[x] as string;
          let at = index.get(name);
          if (at === undefined) {
            keys.push(name);
            at = keys.length;
            index.set(name, at);
          }
          map[x] = at;
        }
        encoded.push([map, part.ops]);
      }
      calls.push(applyPlan(keys, [JSON.stringify(encoded), now, hold]));
    }
    const replies = await Promise.all(calls).catch((error: unknown) => {
      // Nothing is known to be refreshed: the retry sends every TTL again.
      for (const part of parts) for (const key of part.keys) refreshed.delete(key);
      throw error;
    });
    // cjson writes an empty list as {}: read as [].
    return replies.flatMap((text) =>
      (JSON.parse(text) as unknown[]).map((r) => (Array.isArray(r) ? (r as unknown[]) : [])),
    );
  }

  async function runRound(
    byShard: Map<number, Part[]>,
    results: unknown[][],
    onPart?: (part: Part, out: unknown[]) => void,
  ): Promise<void> {
    await Promise.all(
      [...byShard.values()].map(async (parts) => {
        const outs = await runShard(parts);
        parts.forEach((part, i) => {
          const out = outs[i] ?? [];
          const target = results[part.plan];
          if (!target) return;
          if (onPart) onPart(part, out);
          const { at } = part;
          for (let j = 0; j < at.length; j += 1) {
            const to = at[j] ?? -1;
            if (to >= 0) target[to] = out[j] ?? false;
          }
        });
      }),
    );
  }

  /** The shard of an entity, remembered (entities repeat from event to event). */
  const shardCache = new Map<string, number>();
  const shardOfCached = (entity: string) => {
    let shard = shardCache.get(entity);
    if (shard === undefined) {
      if (shardCache.size >= MAX_REFRESHED) shardCache.clear();
      shard = shardOf(entity, shards);
      shardCache.set(entity, shard);
    }
    return shard;
  };

  /**
   * Whether a key's TTL must be sent with this call: not while this process refreshed it within a
   * quarter of the TTL. Remembered when the call is built (a failed call fails the batch, whose
   * retry sends the same writes; the next refresh comes at most a quarter TTL later anyway).
   */
  function ttlFor(name: string, t: number, now: number): number {
    if (t === 0) return 0;
    const last = refreshed.get(name);
    if (last !== undefined && now - last < t * 250) return 0;
    if (refreshed.size >= MAX_REFRESHED) refreshed.clear();
    refreshed.set(name, now);
    return t;
  }

  /**
   * Whether this call should let the Lua check a seen or applied set's trim (see apply-plan.ts): at most
   * once per redelivery hold per set and process. A trim can only happen once the set's snapshot
   * is a hold old, so asking more often would read the trim record for nothing (one HMGET per
   * event); asking less often only keeps a few more members a little longer.
   */
  const trimAsked = new Map<string, number>();
  function trimDue(name: string, now: number): boolean {
    const last = trimAsked.get(name);
    if (last !== undefined && now - last < holdMs) return false;
    if (trimAsked.size >= MAX_REFRESHED) trimAsked.clear();
    trimAsked.set(name, now);
    return true;
  }

  /** Adds the trim record of the set `name` to the part's keys when a trim is due; its index, or 0. */
  function trimRecord(part: Part, name: string, now: number): number {
    if (!trimDue(name, now)) return 0;
    part.keys.push(`${name}:tr`);
    return part.keys.length;
  }

  return {
    async apply(plans) {
      if (plans.length === 0) return [];
      const now = Date.now();
      const home = new Map<number, Part[]>();
      const others: Array<Map<number, Part>> = [];
      const push = (byShard: Map<number, Part[]>, shard: number, part: Part) => {
        const list = byShard.get(shard);
        if (list) list.push(part);
        else byShard.set(shard, [part]);
      };
      plans.forEach((plan, p) => {
        const guard = plan.ops[0];
        if (guard?.kind !== 'seen') throw new Error('a plan must start with its seen operation');
        const messageKey = plan.entities[guard.key - 1] ?? '';
        const homeShard = shardOfCached(messageKey);
        // Per key of the plan: its shard, and its index among its part's keys.
        const keyShard = plan.entities.map(shardOfCached);
        const keyIndex: number[] = new Array<number>(plan.keys.length).fill(0);
        const keyTtl = new Map<number, number>();
        const parts = new Map<number, Part>();
        const partOf = (shard: number) => {
          let part = parts.get(shard);
          if (!part) parts.set(shard, (part = { plan: p, keys: [], ops: [], at: [], counting: false }));
          return part;
        };
        const keyIn = (part: Part, index: number) => {
          let found = keyIndex[index - 1] ?? 0;
          if (found === 0) {
            part.keys.push(shardKey(keyShard[index - 1] ?? 0, plan.keys[index - 1] ?? ''));
            found = part.keys.length;
            keyIndex[index - 1] = found;
          }
          return found;
        };
        // One TTL per key and plan (the longest asked for), sent only when due.
        const ttlOf = (part: Part, index: number, t: number) => {
          const known = keyTtl.get(index);
          if (known !== undefined) return known >= t ? 0 : t;
          const sent = ttlFor(part.keys[(keyIndex[index - 1] ?? 1) - 1] ?? '', t, now);
          keyTtl.set(index, sent === 0 ? Number.POSITIVE_INFINITY : t);
          return sent;
        };
        for (let at = 0; at < plan.ops.length; at += 1) {
          const op = plan.ops[at] as Op;
          const shard = keyShard[op.key - 1] ?? 0;
          const part = partOf(shard);
          const k = keyIn(part, op.key);
          if (op.kind === 'geo') {
            if ((keyShard[op.countriesKey - 1] ?? 0) !== shard)
              throw new Error('a geo operation must name keys of one entity');
            const kc = keyIn(part, op.countriesKey);
            part.ops.push(
              encodeOp(op, k, Math.max(ttlOf(part, op.key, op.ttlS), ttlOf(part, op.countriesKey, op.ttlS)), kc),
            );
          } else if (
            op.kind === 'zcount' &&
            op.ifAny &&
            (at === 0 || (keyShard[(plan.ops[at - 1] as Op).key - 1] ?? 0) !== shard)
          ) {
            throw new Error('a conditional zcount must follow an operation on its own shard');
          } else if (op.kind === 'seen') {
            // The seen set's trim record, refreshed with the set, when a trim is due (0: none).
            const kt = trimRecord(part, part.keys[k - 1] ?? '', now);
            // The trim record gets its own TTL whenever it is sent (the set's is sent a few times a
            // week: the two rarely coincide, and a record recreated after expiring kept none).
            part.ops.push(encodeOp(op, k, ttlOf(part, op.key, op.ttlS), kt, kt > 0 ? op.ttlS : 0));
          } else {
            part.ops.push(encodeOp(op, k, 'ttlS' in op ? ttlOf(part, op.key, op.ttlS) : 0));
          }
          if (counts(op)) part.counting = true;
          part.at.push(at);
        }
        push(home, homeShard, partOf(homeShard));
        parts.delete(homeShard);
        // Elsewhere the event's counting writes are guarded by that shard's applied set; idempotent
        // writes and reads need no guard.
        for (const [shard, part] of parts) {
          if (part.counting) {
            const name = shardKey(shard, `ap:${messageKey}`);
            part.keys.push(name);
            const k = part.keys.length;
            const kt = trimRecord(part, name, now);
            part.ops.unshift(
              encodeApplied(guard, k, ttlFor(name, APPLIED_TTL_S, now), latenessMs, kt, kt > 0 ? APPLIED_TTL_S : 0),
            );
            part.at.unshift(-1);
          }
        }
        others.push(parts);
      });
      const results: unknown[][] = plans.map((plan) => new Array<unknown>(plan.ops.length).fill(false));
      const late = new Set<number>();
      await runRound(home, results, (part, out) => {
        if (out[0] === -1) late.add(part.plan);
      });
      const second = new Map<number, Part[]>();
      others.forEach((parts, p) => {
        if (late.has(p)) return;
        for (const [shard, part] of parts) push(second, shard, part);
      });
      await runRound(second, results);
      return results.map((r, p) => (late.has(p) ? [-1] : r));
    },

    async dedup(requests: readonly DedupRequest[]): Promise<DedupRecord[]> {
      if (requests.length === 0) return [];
      const replies = await Promise.all(
        requests.map((r) => {
          const ttl = Math.max(MIN_DEDUP_TTL_S, Math.ceil((r.suppressionMs * 2) / 1000));
          return dedup(
            [dedupName(r.dedupKey)],
            [
              r.candidateId,
              String(r.ts),
              String(r.suppressionMs),
              String(r.severityRank),
              String(r.windowStart),
              String(r.windowEnd),
              String(r.repeats),
              String(r.detectedAt),
              String(ttl),
              r.closing ?? '',
              r.claimant ?? '',
              String(Date.now()),
              String(CLAIM_MS),
            ],
          );
        }),
      );
      return replies.map(parseDedupRecord);
    },

    async markPublished(entries) {
      if (entries.length === 0) return;
      await Promise.all(entries.map((e) => hashMax([dedupName(e.dedupKey)], ['pub', String(e.rank)])));
    },

    async size() {
      // SCAN's MATCH is not prefixed by ioredis. Bounded: this is for a gauge, not an inventory.
      let cursor = '0';
      let count = 0;
      let rounds = 0;
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        count += keys.length;
        cursor = next;
        rounds += 1;
      } while (cursor !== '0' && rounds < 1000);
      return count;
    },

    async close() {
      redis.disconnect();
    },
  };
}
