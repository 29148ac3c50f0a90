import { defineScript, integerReply, stringReply } from '@keywatch/redis';
import type { Op, SeenOp } from './ops.js';

/**
 * Runs the operations (see ops.ts) of many events on one state shard, in order, atomically. KEYS
 * are the distinct keys the plans name; ARGV[1] the JSON list of `[key map, ops]` per plan (ops name
 * keys by plan-local index, the map gives its KEYS index), ARGV[2] the wall clock (ms), ARGV[3] the
 * redelivery hold (ms); the result is the JSON list of each plan's results. `seen` asks "already
 * processed?" before "late?" so a redelivered event completes round 2 (README, "Redelivery").
 */
export const APPLY_PLAN = defineScript<string[], [plans: string, nowMs: string, holdMs: string], string>({
  name: 'kwApply',
  file: new URL('./apply-plan.lua', import.meta.url),
  reply: stringReply,
});

/**
 * Finds or opens the alert of a dedup key (KEYS[1]): a signal within the suppression window of the
 * record's last one continues that alert unless it is `closing` (resolved). Result: [id, first,
 * last, severity, published, count, wstart, wend, detected_at, created, publish (this caller holds
 * the claim to publish)].
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
