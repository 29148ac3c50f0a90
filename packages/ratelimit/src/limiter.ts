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
 * GCRA as Lua functions, `gcra(key, limit, window_ms, cost)` and `gcra_many(key, limit, window_ms,
 * count)`, shared by {@link createRateLimiter}'s scripts and by scripts that rate-limit as part of a
 * larger atomic step (the gateway SDK's lookup and limit in one call). The bucket's key holds its
 * theoretical arrival time (TAT): the instant at which it would be full again; each request pushes
 * it by cost × interval (interval = window / limit), and a request is refused when that would put
 * the TAT more than one window ahead of now. Time comes from Redis `TIME`, so gateways with skewed
 * clocks share one clock (scripts replicate their effects, so a non-deterministic command is allowed).
 *
 * Times are milliseconds since 2023-11-14 (unix 1.7e9): the smaller magnitude keeps Lua's doubles
 * precise to about 10 ns. `eps` (1 µs, TIME's resolution) absorbs the rounding of summed
 * intervals, so a burst of exactly `limit` requests is never cut short by a rounding error.
 *
 * `gcra` returns { allowed 0|1, remaining, reset in ms, retry-after in ms or -1 } (see
 * {@link toRateLimitResult}). `gcra_many` takes `count` requests of cost 1 that arrived together:
 * it runs the same step `count` times on one reading of the clock and the bucket, so it answers
 * exactly what `count` `gcra` calls in a row would (the first ones allowed while the bucket has
 * room, the rest refused), and returns their `count` replies in that order.
 */
export const GCRA_LUA_FUNCTION = `
local function gcra_now()
  local clock = redis.call('TIME')
  return (tonumber(clock[1]) - 1700000000) * 1000 + tonumber(clock[2]) / 1000
end

local function gcra_load(key, now)
  local stored = redis.call('GET', key)
  if stored then return math.max(tonumber(stored), now) end
  return now
end

local function gcra_store(key, tat, now)
  local reset = math.ceil(tat - now)
  if reset > 0 then redis.call('SET', key, string.format('%.17g', tat), 'PX', reset) end
end

-- One request of the given cost against the bucket's TAT: its reply, and the TAT after it.
local function gcra_step(tat, now, limit, window, cost)
  local eps = 0.001
  local interval = window / limit

  local function remaining(at)
    local cells = math.floor((window - (at - now) + eps) / interval)
    if cells < 0 then return 0 end
    if cells > limit then return limit end
    return cells
  end

  if cost > limit then
    return { 0, remaining(tat), math.ceil(tat - now), -1 }, tat
  end

  local new_tat = tat + cost * interval
  local wait = new_tat - window - now
  if wait > eps then
    return { 0, remaining(tat), math.ceil(tat - now), math.ceil(wait) }, tat
  end
  return { 1, remaining(new_tat), math.ceil(new_tat - now), -1 }, new_tat
end

local function gcra(key, limit, window, cost)
  local now = gcra_now()
  local tat = gcra_load(key, now)
  local reply, new_tat = gcra_step(tat, now, limit, window, cost)
  if reply[1] == 1 and cost > 0 then gcra_store(key, new_tat, now) end
  return reply
end

local function gcra_many(key, limit, window, count)
  local now = gcra_now()
  local tat = gcra_load(key, now)
  local start = tat
  local replies = {}
  for i = 1, count do
    replies[i], tat = gcra_step(tat, now, limit, window, 1)
  end
  if tat ~= start then gcra_store(key, tat, now) end
  return replies
end
`;

/** KEYS[1] the bucket; ARGV limit, window in ms, cost. */
const GCRA_LUA = `${GCRA_LUA_FUNCTION}
return gcra(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]))
`;

/** KEYS[1] the bucket; ARGV limit, window in ms, count. */
const GCRA_MANY_LUA = `${GCRA_LUA_FUNCTION}
return gcra_many(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]))
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
const MANY_COMMAND = 'keywatchRateLimitGcraMany';

type WithGcra = Record<typeof COMMAND, (key: string, limit: number, windowMs: number, cost: number) => Promise<GcraReply>> &
  Record<typeof MANY_COMMAND, (key: string, limit: number, windowMs: number, count: number) => Promise<GcraReply[]>>;

function validate(bucket: string, policy: RateLimitPolicy, cost: number): void {
  if (bucket.length === 0) throw new RangeError('bucket must not be empty');
  if (!Number.isSafeInteger(policy.limit) || policy.limit < 0) throw new RangeError(`limit must be a non-negative integer, got ${policy.limit}`);
  if (!Number.isFinite(policy.window_s) || policy.window_s <= 0) throw new RangeError(`window_s must be a positive number, got ${policy.window_s}`);
  if (!Number.isSafeInteger(cost) || cost < 0) throw new RangeError(`cost must be a non-negative integer, got ${cost}`);
}

/** A bucket (and policy) with a call in Redis, and the calls of cost 1 that arrived meanwhile. */
interface InFlight {
  key: string;
  policy: RateLimitPolicy;
  waiting: Array<{ resolve: (result: RateLimitResult) => void; reject: (error: unknown) => void }>;
}

/**
 * A GCRA rate limiter over Redis: exact under concurrency from any number of gateways.
 *
 * Calls of cost 1 on a bucket are coalesced while one is in Redis (concurrent requests of one busy
 * key): a call on a bucket with nothing in flight is sent at once; the calls that arrive while it
 * is in Redis wait for its answer, then go together in one Lua call (`gcra_many`), and so on. That
 * call answers each of them what the same calls one after the other would have got, in the order
 * they were made, atomically in Redis, so the limit stays exact across gateways; a hot key then
 * costs about two Redis commands per round trip instead of one per request, and a key with no
 * concurrent calls pays nothing extra. Other costs are sent on their own.
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const keyPrefix = options.keyPrefix ?? '';
  if (keyPrefix.includes('{')) throw new RangeError('keyPrefix must not contain "{": each bucket has its own hash tag');
  // Idempotent: several limiters on one client redefine the same scripts.
  options.redis.defineCommand(COMMAND, { numberOfKeys: 1, lua: GCRA_LUA });
  options.redis.defineCommand(MANY_COMMAND, { numberOfKeys: 1, lua: GCRA_MANY_LUA });
  const redis = options.redis as unknown as WithGcra;
  /** Buckets (by policy and key) with a call in Redis. */
  const inFlight = new Map<string, InFlight>();

  /**
   * Sends `count` calls of cost 1 on the entry's bucket as one Redis call (`gcra` for one,
   * `gcra_many` for more); once it settles, the calls that arrived meanwhile go the same way.
   */
  function dispatch(group: string, entry: InFlight, count: number): Promise<RateLimitResult[]> {
    const { key, policy } = entry;
    const windowMs = policy.window_s * 1000;
    let answered: Promise<RateLimitResult[]>;
    try {
      answered =
        count === 1
          ? redis[COMMAND](key, policy.limit, windowMs, 1).then((reply) => [toRateLimitResult(reply, policy.limit)])
          : redis[MANY_COMMAND](key, policy.limit, windowMs, count).then((replies) => replies.map((reply) => toRateLimitResult(reply, policy.limit)));
    } catch (error) {
      answered = Promise.reject(error);
    }
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
      if (policy.limit === 0) return { allowed: false, limit: 0, remaining: 0, resetSeconds: 0, retryAfterSeconds: null };
      const key = bucketKey(bucket, keyPrefix);
      if (cost !== 1) return toRateLimitResult(await redis[COMMAND](key, policy.limit, policy.window_s * 1000, cost), policy.limit);
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
