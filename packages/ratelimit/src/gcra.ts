import { defineScript, luaFragment } from '@keywatch/redis';

/**
 * GCRA as Lua functions (`gcra-functions.lua`), `gcra(key, limit, window_ms, cost)` and `gcra_many(key, limit, window_ms,
 * count)`, shared by the rate limiter's scripts and by scripts that rate-limit as part of a
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
 * `toRateLimitResult`). `gcra_many` takes `count` requests of cost 1 that arrived together:
 * it runs the same step `count` times on one reading of the clock and the bucket, so it answers
 * exactly what `count` `gcra` calls in a row would (the first ones allowed while the bucket has
 * room, the rest refused), and returns their `count` replies in that order.
 */
export const GCRA_FUNCTIONS = luaFragment(new URL('./gcra-functions.lua', import.meta.url));

/** The reply of the `gcra` Lua function. */
export type GcraReply = [allowed: number, remaining: number, resetMs: number, retryAfterMs: number];

function isGcraReply(value: unknown): value is GcraReply {
  return Array.isArray(value) && value.length === 4 && value.every((n) => typeof n === 'number');
}

/** Checks a `gcra` reply (for scripts that return one). */
export function gcraReply(raw: unknown): GcraReply {
  if (!isGcraReply(raw)) throw new TypeError('unexpected reply from the gcra script');
  return raw;
}

/** One request of `cost` against a bucket. */
export const GCRA = defineScript<[bucket: string], [limit: number, windowMs: number, cost: number], GcraReply>({
  name: 'keywatchRateLimitGcra',
  file: new URL('./gcra.lua', import.meta.url),
  includes: [GCRA_FUNCTIONS],
  reply: gcraReply,
});

/** `count` requests of cost 1 that arrived together; one reply each, in order. */
export const GCRA_MANY = defineScript<[bucket: string], [limit: number, windowMs: number, count: number], GcraReply[]>({
  name: 'keywatchRateLimitGcraMany',
  file: new URL('./gcra-many.lua', import.meta.url),
  includes: [GCRA_FUNCTIONS],
  reply: (raw) => {
    if (!Array.isArray(raw) || !raw.every(isGcraReply))
      throw new TypeError('unexpected reply from the gcra_many script');
    return raw;
  },
});
