import { defineScript, luaFragment } from '@keywatch/redis';

/**
 * GCRA as Lua functions (`gcra-functions.lua`): `gcra(key, limit, window_ms, cost)` and
 * `gcra_many(key, limit, window_ms, count)` (same answers as `count` `gcra` calls in a row), shared
 * by the limiter's scripts and by scripts that limit inside a larger atomic step. Time comes from
 * Redis `TIME` so gateways with skewed clocks share one clock; design in the package README.
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
