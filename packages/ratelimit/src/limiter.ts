import type { Redis } from '@keywatch/redis';
import { GCRA, GCRA_MANY, type GcraReply } from './gcra.js';

/** A key's rate limit: at most `limit` requests per `window_s` seconds, all of which may come at once. */
export interface RateLimitPolicy {
  /** Requests per window, and the burst a fresh bucket allows. A non-negative integer; 0 refuses everything. */
  limit: number;
  /** The window in seconds (> 0). */
  window_s: number;
}

/** The outcome of one `limit()` call and the bucket's state after it. */
export interface RateLimitResult {
  allowed: boolean;
  /** The policy's limit. */
  limit: number;
  /** Requests of cost 1 that would be allowed right now, after this one (an integer ≥ 0). */
  remaining: number;
  /** Seconds (ms precision) until the bucket is full again, i.e. `remaining` is back to `limit`. */
  resetSeconds: number;
  /**
   * When refused: seconds (ms precision) until a request of the same cost would be allowed. `null`
   * when allowed, and when the request can never be allowed (its cost exceeds the limit).
   */
  retryAfterSeconds: number | null;
}

export interface RateLimiterOptions {
  /**
   * A client from `@keywatch/redis`. Its own key prefix applies as well; on Redis Cluster it should
   * carry no hash tag, or every bucket lands in that one slot. Errors and timeouts (the client's
   * `commandTimeoutMs`) reject `limit()`; what a gateway then does (fail closed or open) is its policy.
   */
  redis: Redis;
  /** Put before each bucket's key (default empty). Must not contain `{`: the hash tag is per bucket. */
  keyPrefix?: string;
}

export interface RateLimiter {
  /**
   * Takes `cost` (default 1, a non-negative integer; 0 only reads the state) from `bucket` under
   * `policy`, atomically in Redis. Rejects with a RangeError for an invalid policy or cost, and with
   * the client's error when Redis fails or times out.
   */
  limit(bucket: string, policy: RateLimitPolicy, cost?: number): Promise<RateLimitResult>;
}

/**
 * The Redis key of `bucket` (after the client's own prefix): `<keyPrefix>{rl:<bucket>}`, where
 * `{rl:<bucket>}` is the Redis Cluster hash tag, so a bucket's key lives in one slot.
 */
export function bucketKey(bucket: string, keyPrefix = ''): string {
  return `${keyPrefix}{rl:${bucket}}`;
}

/** A `gcra` reply as a {@link RateLimitResult}. */
export function toRateLimitResult(
  [allowed, remaining, resetMs, retryAfterMs]: GcraReply,
  limit: number,
): RateLimitResult {
  return {
    allowed: allowed === 1,
    limit,
    remaining,
    resetSeconds: resetMs / 1000,
    retryAfterSeconds: retryAfterMs < 0 ? null : retryAfterMs / 1000,
  };
}

function validate(bucket: string, policy: RateLimitPolicy, cost: number): void {
  if (bucket.length === 0) throw new RangeError('bucket must not be empty');
  if (!Number.isSafeInteger(policy.limit) || policy.limit < 0)
    throw new RangeError(`limit must be a non-negative integer, got ${policy.limit}`);
  if (!Number.isFinite(policy.window_s) || policy.window_s <= 0)
    throw new RangeError(`window_s must be a positive number, got ${policy.window_s}`);
  if (!Number.isSafeInteger(cost) || cost < 0) throw new RangeError(`cost must be a non-negative integer, got ${cost}`);
}

/** A bucket (and policy) with a call in Redis, and the calls of cost 1 that arrived meanwhile. */
interface InFlight {
  key: string;
  policy: RateLimitPolicy;
  waiting: Array<{ resolve: (result: RateLimitResult) => void; reject: (error: unknown) => void }>;
}

/**
 * A GCRA rate limiter over Redis: exact under concurrency from any number of gateways. Cost-1
 * calls on a bucket with one in flight are coalesced into one `gcra_many` call (README).
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const keyPrefix = options.keyPrefix ?? '';
  if (keyPrefix.includes('{')) throw new RangeError('keyPrefix must not contain "{": each bucket has its own hash tag');
  // Idempotent: several limiters on one client register the same scripts.
  const gcra = GCRA.on(options.redis);
  const gcraMany = GCRA_MANY.on(options.redis);
  /** Buckets (by policy and key) with a call in Redis. */
  const inFlight = new Map<string, InFlight>();

  /**
   * Sends `count` calls of cost 1 on the entry's bucket as one Redis call (`gcra` for one,
   * `gcra_many` for more); once it settles, the calls that arrived meanwhile go the same way.
   */
  function dispatch(group: string, entry: InFlight, count: number): Promise<RateLimitResult[]> {
    const { key, policy } = entry;
    const windowMs = policy.window_s * 1000;
    const answered =
      count === 1
        ? gcra([key], [policy.limit, windowMs, 1]).then((reply) => [toRateLimitResult(reply, policy.limit)])
        : gcraMany([key], [policy.limit, windowMs, count]).then((replies) =>
            replies.map((reply) => toRateLimitResult(reply, policy.limit)),
          );
    const sendWaiting = () => {
      const waiting = entry.waiting;
      if (waiting.length === 0) return void inFlight.delete(group);
      entry.waiting = [];
      dispatch(group, entry, waiting.length).then(
        (results) => waiting.forEach((caller, i) => caller.resolve(results[i]!)),
        (error: unknown) => waiting.forEach((caller) => caller.reject(error)),
      );
    };
    answered.then(sendWaiting, sendWaiting);
    return answered;
  }

  return {
    async limit(bucket, policy, cost = 1) {
      validate(bucket, policy, cost);
      if (policy.limit === 0)
        return { allowed: false, limit: 0, remaining: 0, resetSeconds: 0, retryAfterSeconds: null };
      const key = bucketKey(bucket, keyPrefix);
      if (cost !== 1)
        return toRateLimitResult(await gcra([key], [policy.limit, policy.window_s * 1000, cost]), policy.limit);
      const group = `${policy.limit}/${policy.window_s}/${key}`;
      const entry = inFlight.get(group);
      if (entry === undefined) {
        const fresh: InFlight = { key, policy: { limit: policy.limit, window_s: policy.window_s }, waiting: [] };
        inFlight.set(group, fresh);
        return (await dispatch(group, fresh, 1))[0]!;
      }
      return new Promise<RateLimitResult>((resolve, reject) => entry.waiting.push({ resolve, reject }));
    },
  };
}
