import { defineScript, integerReply, stringReply } from '@keywatch/redis';
import type { Op, SeenOp } from './ops.js';

/**
 * Runs the operations (see ops.ts) of many events on one state shard, in order, atomically. KEYS
 * are the distinct keys the plans name (all in the shard's hash slot), each once however many
 * plans name it; ARGV[1] is the JSON list of `[key map, ops]`, one per plan, where the plan's
 * operations ({@link encodeOp}) name their keys by plan-local index i and `key map[i]` is that
 * key's index in KEYS; ARGV[2] the wall clock (ms), ARGV[3] how long (wall ms) a processed event
 * stays recognisable as a duplicate whatever the watermark did since (the redelivery hold); the
 * result is the JSON list of each plan's results. A plan starts with its guard (`seen` on the
 * message key's shard, `ap` elsewhere); its writes run only while the event is fresh there; its
 * reads always run, unless the event is late.
 *
 * `seen` asks "already processed?" before "late?": a redelivered event is a duplicate even when its
 * first attempt pushed the key's watermark more than the lateness past it (a batch spanning
 * minutes of event time, or a retry after round 2 failed), so its plan goes on (reads, and round 2
 * on the other shards, whose `ap` guard counts it once). For that, members stay in the sets until
 * the redelivery hold has passed: the sets are trimmed to the watermark of a snapshot at least a
 * hold old (in the companion hash `<set>:tr`, fields `w` and `t`) minus the lateness, so anything
 * processed within the last hold is still there.
 *
 * Work per call, not per event, wherever the result is the same: a watermark is read once per key
 * and call, the seen/applied sets are trimmed at most once per key and call (and only when the
 * caller asks, about once per hold: see trimDue in redis-store.ts), and each key gets at most one
 * EXPIRE (none when the caller knows it was refreshed recently: TTL 0).
 */
export const APPLY_PLAN = defineScript<string[], [plans: string, nowMs: string, holdMs: string], string>({
  name: 'kwApply',
  file: new URL('./apply-plan.lua', import.meta.url),
  reply: stringReply,
});

/**
 * Finds or opens the alert of a dedup key. KEYS[1] = the dedup record. A signal within the
 * suppression window of the record's last one continues that alert (its count grows by the
 * repeats, its window and severity widen) unless the record's alert is the resolved one (`closing`);
 * otherwise the candidate opens a new one. Result: [id, first, last, severity, published, count,
 * wstart, wend, detected_at, created, publish (this caller holds the claim to publish the rank
 * above the published one)].
 */
export const DEDUP = defineScript<
  [record: string],
  [
    candidateId: string,
    ts: string,
    suppressionMs: string,
    severityRank: string,
    windowStart: string,
    windowEnd: string,
    repeats: string,
    detectedAt: string,
    ttlS: string,
    closing: string,
    claimant: string,
    nowMs: string,
    claimMs: string,
  ],
  unknown[]
>({
  name: 'kwDedup',
  file: new URL('./dedup.lua', import.meta.url),
  reply: (raw) => {
    if (!Array.isArray(raw)) throw new TypeError('unexpected reply from the dedup script');
    return raw as unknown[];
  },
});

/** Raises a numeric hash field to a value if it is lower. */
export const HASH_MAX = defineScript<[hash: string], [field: string, value: string], number>({
  name: 'kwMax',
  file: new URL('./hash-max.lua', import.meta.url),
  reply: integerReply,
});

/** An operation on the wire: its Lua code and its fields in a fixed order (half the JSON of an object). */
export type WireOp = unknown[];

/**
 * An operation as apply-plan.lua reads it, with its key indexes (`key`, and `second`: the geo
 * countries' set, or the seen set's trim record) and TTL as they are in the shard's call.
 */
export function encodeOp(op: Op, key: number, ttlS: number, second = 0, secondTtlS = 0): WireOp {
  // Numbers the script only hands on to Redis go as text (see "number-to-string" in the script).
  switch (op.kind) {
    case 'seen':
      // second: the set's trim record, 0 when no trim is due (see trimDue); secondTtlS: its TTL.
      return ['seen', key, op.eventId, String(op.ts), op.latenessMs, ttlS, second, secondTtlS];
    case 'hincr':
      return ['hincr', key, op.field, String(op.by), ttlS];
    case 'zadd':
      return ['zadd', key, op.member, String(op.score), ttlS, op.cap, String(op.minScore)];
    case 'hsetnx':
      return ['hsetnx', key, op.field, op.value, ttlS];
    case 'hmget':
      return ['hmget', key, op.fields];
    case 'window':
      return ['hwin', key, op.metrics, op.fromBucket, op.toBucket];
    case 'zcount':
      return ['zcount', key, String(op.min), String(op.max), op.ifAny ? 1 : 0];
    case 'zrange':
      return ['zrange', key, String(op.min), String(op.max), String(op.limit)];
    case 'baseline':
      return ['base', key, op.metric, op.hour, op.foldBefore, op.alpha, op.peakDecay, op.count ? 1 : 0, ttlS];
    case 'geo':
      return ['geo', key, second, op.country, String(op.ts), op.location, String(op.since), String(op.minScore), ttlS];
  }
}

/**
 * The guard the Redis store puts first on a shard other than the event's home: marks the event
 * applied in that shard's set `key` (same trimming as `seen`, no lateness check: late events never
 * get this far). Result: 1 first application, 0 already applied.
 */
export function encodeApplied(
  guard: SeenOp,
  key: number,
  ttlS: number,
  latenessMs: number,
  trimRecord: number,
  trimRecordTtlS: number,
): WireOp {
  return ['ap', key, guard.eventId, String(guard.ts), latenessMs, ttlS, trimRecord, trimRecordTtlS];
}
