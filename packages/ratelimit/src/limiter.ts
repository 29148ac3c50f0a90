import type { Redis } from '@keywatch/redis';

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
 * GCRA as a Lua function, `gcra(key, limit, window_ms, cost)`, shared by {@link createRateLimiter}'s
 * script and by scripts that rate-limit as part of a larger atomic step (the gateway SDK's lookup
 * and limit in one call). The bucket's key holds its theoretical arrival time (TAT): the instant
 * at which it would be full again; each request pushes it by cost × interval (interval = window /
 * limit), and a request is refused when that would put the TAT more than one window ahead of now.
 * Time comes from Redis `TIME`, so gateways with skewed clocks share one clock (scripts replicate
 * their effects, so a non-deterministic command is allowed).
 *
 * Times are milliseconds since 2023-11-14 (unix 1.7e9): the smaller magnitude keeps Lua's doubles
 * precise to about 10 ns. `eps` (1 µs, TIME's resolution) absorbs the rounding of summed
 * intervals, so a burst of exactly `limit` requests is never cut short by a rounding error.
 *
 * Returns { allowed 0|1, remaining, reset in ms, retry-after in ms or -1 } (see {@link toRateLimitResult}).
 */
export const GCRA_LUA_FUNCTION = `
local function gcra(key, limit, window, cost)
  local eps = 0.001
  local clock = redis.call('TIME')
  local now = (tonumber(clock[1]) - 1700000000) * 1000 + tonumber(clock[2]) / 1000
  local interval = window / limit

  local tat = now
  local stored = redis.call('GET', key)
  if stored then tat = math.max(tonumber(stored), now) end

  local function remaining(at)
    local cells = math.floor((window - (at - now) + eps) / interval)
    if cells < 0 then return 0 end
    if cells > limit then return limit end
    return cells
  end

  if cost > limit then
    return { 0, remaining(tat), math.ceil(tat - now), -1 }
  end

  local new_tat = tat + cost * interval
  local wait = new_tat - window - now
  if wait > eps then
    return { 0, remaining(tat), math.ceil(tat - now), math.ceil(wait) }
  end

  local reset = math.ceil(new_tat - now)
  if cost > 0 and reset > 0 then
    redis.call('SET', key, string.format('%.17g', new_tat), 'PX', reset)
  end
  return { 1, remaining(new_tat), reset, -1 }
end
`;

/** KEYS[1] the bucket; ARGV limit, window in ms, cost. */
const GCRA_LUA = `${GCRA_LUA_FUNCTION}
return gcra(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]))
`;

/** The reply of the `gcra` Lua function. */
export type GcraReply = [allowed: number, remaining: number, resetMs: number, retryAfterMs: number];

/** A `gcra` reply as a {@link RateLimitResult}. */
export function toRateLimitResult([allowed, remaining, resetMs, retryAfterMs]: GcraReply, limit: number): RateLimitResult {
  return { allowed: allowed === 1, limit, remaining, resetSeconds: resetMs / 1000, retryAfterSeconds: retryAfterMs < 0 ? null : retryAfterMs / 1000 };
}

/**
 * The Redis key of `bucket` (after the client's own prefix): `<keyPrefix>{rl:<bucket>}`, where
 * `{rl:<bucket>}` is the Redis Cluster hash tag, so a bucket's key lives in one slot.
 */
export function bucketKey(bucket: string, keyPrefix = ''): string {
  return `${keyPrefix}{rl:${bucket}}`;
}

const COMMAND = 'keywatchRateLimitGcra';

type WithGcra = Record<typeof COMMAND, (key: string, limit: number, windowMs: number, cost: number) => Promise<GcraReply>>;

function validate(bucket: string, policy: RateLimitPolicy, cost: number): void {
  if (bucket.length === 0) throw new RangeError('bucket must not be empty');
  if (!Number.isSafeInteger(policy.limit) || policy.limit < 0) throw new RangeError(`limit must be a non-negative integer, got ${policy.limit}`);
  if (!Number.isFinite(policy.window_s) || policy.window_s <= 0) throw new RangeError(`window_s must be a positive number, got ${policy.window_s}`);
  if (!Number.isSafeInteger(cost) || cost < 0) throw new RangeError(`cost must be a non-negative integer, got ${cost}`);
}

/** A GCRA rate limiter over Redis: exact under concurrency from any number of gateways, one round trip per call. */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const keyPrefix = options.keyPrefix ?? '';
  if (keyPrefix.includes('{')) throw new RangeError('keyPrefix must not contain "{": each bucket has its own hash tag');
  // Idempotent: several limiters on one client redefine the same script.
  options.redis.defineCommand(COMMAND, { numberOfKeys: 1, lua: GCRA_LUA });
  const redis = options.redis as unknown as WithGcra;

  return {
    async limit(bucket, policy, cost = 1) {
      validate(bucket, policy, cost);
      if (policy.limit === 0) return { allowed: false, limit: 0, remaining: 0, resetSeconds: 0, retryAfterSeconds: null };
      return toRateLimitResult(await redis[COMMAND](bucketKey(bucket, keyPrefix), policy.limit, policy.window_s * 1000, cost), policy.limit);
    },
  };
}
