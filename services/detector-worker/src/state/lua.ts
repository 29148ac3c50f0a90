/**
 * Runs events' plans (see ops.ts) in order, atomically. KEYS are the plans' keys one after the
 * other; ARGV[1] is the JSON list of `{ n: number of keys, ops }`; the result is the JSON list of
 * each plan's results. A plan's writes run only while its event is fresh (its `seen` operation
 * added it); its reads always run, unless the event is late. Several events per call: one call per
 * event cost more in call overhead than in the work itself.
 */
export const APPLY_PLAN = `
-- One EXPIRE per key and call, however many operations write to it.
local ttl = {}
local function touch(k, t) if (ttl[k] or 0) < t then ttl[k] = t end end
local function run(ops, base)
local fresh = true
local out = {}
for i, op in ipairs(ops) do
  local o = op.o
  local k = KEYS[base + op.k]
  local r = false
  if o == 'seen' then
    local top = redis.call('ZRANGE', k, -1, -1, 'WITHSCORES')
    local wm = tonumber(top[2])
    if wm ~= nil and op.s < wm - op.l then return { -1 } end
    -- Trim only when the watermark moves: the set then holds at most a lateness' worth of ids.
    if redis.call('ZADD', k, 'NX', op.s, op.m) == 0 then fresh = false end
    if wm ~= nil and op.s > wm then redis.call('ZREMRANGEBYSCORE', k, '-inf', '(' .. (op.s - op.l)) end
    touch(k, op.t)
    r = fresh and 1 or 0
  elseif o == 'hincr' then
    if fresh then redis.call('HINCRBY', k, op.f, op.n); touch(k, op.t) end
  elseif o == 'zadd' then
    if fresh then
      -- The set only grows when a member is added, so only then is it trimmed.
      if redis.call('ZADD', k, 'GT', op.s, op.m) == 1 then
        redis.call('ZREMRANGEBYSCORE', k, '-inf', '(' .. op.lo)
        local n = redis.call('ZCARD', k)
        if n > op.cap then redis.call('ZREMRANGEBYRANK', k, 0, n - op.cap - 1) end
      end
      touch(k, op.t)
    end
  elseif o == 'hsetnx' then
    if fresh then redis.call('HSETNX', k, op.f, op.v); touch(k, op.t) end
  elseif o == 'hnewer' then
    local prev = redis.call('HGET', k, op.f)
    r = prev
    if fresh then
      local prevTs = prev and tonumber(string.match(prev, '^(%d+)')) or nil
      if prevTs == nil or prevTs < op.s then redis.call('HSET', k, op.f, op.v) end
      touch(k, op.t)
    end
  elseif o == 'hmget' then
    if #op.f > 0 then r = redis.call('HMGET', k, unpack(op.f)) else r = {} end
  elseif o == 'zcount' then
    r = redis.call('ZCOUNT', k, op.min, op.max)
  elseif o == 'zrange' then
    r = redis.call('ZRANGEBYSCORE', k, op.min, op.max, 'WITHSCORES', 'LIMIT', 0, op.lim)
  elseif o == 'zscore' then
    r = redis.call('ZSCORE', k, op.m)
  elseif o == 'bcount' then
    if fresh then
      local m = op.m
      redis.call('HSETNX', k, m .. ':start', op.h)
      local last = tonumber(redis.call('HGET', k, m .. ':last'))
      if last == nil or op.h > last then redis.call('HINCRBY', k, m .. ':h:' .. op.h, 1) end
      touch(k, op.t)
    end
  elseif o == 'ewma' then
    local m = op.m
    local v = redis.call('HMGET', k, m .. ':mean', m .. ':var', m .. ':n', m .. ':last', m .. ':lastx', m .. ':start', m .. ':peak')
    local mean = tonumber(v[1]) or 0
    local var = tonumber(v[2]) or 0
    local n = tonumber(v[3]) or 0
    local last = tonumber(v[4])
    local lastx = tonumber(v[5]) or 0
    local start = tonumber(v[6])
    local peak = tonumber(v[7]) or 0
    if start ~= nil then
      local from = last and (last + 1) or start
      local steps = 0
      local hour = from
      while hour < op.c do
        local field = m .. ':h:' .. hour
        local x = tonumber(redis.call('HGET', k, field)) or 0
        if x > 0 then redis.call('HDEL', k, field) end
        if n == 0 then
          mean = x
          var = 0
        else
          local diff = x - mean
          local incr = op.a * diff
          mean = mean + incr
          var = (1 - op.a) * (var + diff * incr)
        end
        peak = math.max(x, peak * op.pd)
        n = n + 1
        lastx = x
        last = hour
        steps = steps + 1
        -- Hours without events hold no counts; past a few weeks of silence the baseline is zero anyway.
        if steps >= 2000 then last = op.c - 1; break end
        hour = hour + 1
      end
      if steps > 0 then
        redis.call('HSET', k, m .. ':mean', tostring(mean), m .. ':var', tostring(var), m .. ':n', n, m .. ':last', last, m .. ':lastx', lastx, m .. ':peak', tostring(peak))
        touch(k, op.t)
      end
    end
    local cur = tonumber(redis.call('HGET', k, m .. ':h:' .. op.h)) or 0
    local prev = tonumber(redis.call('HGET', k, m .. ':h:' .. (op.h - 1)))
    if prev == nil then prev = (last == op.h - 1) and lastx or 0 end
    r = { mean, var, n, cur, prev, peak }
  end
  out[i] = r
end
return out
end
local plans = cjson.decode(ARGV[1])
local results = {}
local base = 0
for j, plan in ipairs(plans) do
  results[j] = run(plan.ops, base)
  base = base + plan.n
end
for k, t in pairs(ttl) do redis.call('EXPIRE', k, t) end
return cjson.encode(results)
`;

/**
 * Finds or opens the alert of a dedup key. KEYS[1] = the dedup record. ARGV: candidate alert id,
 * event ts, suppression ms, severity rank, window start, window end, repeats (fresh signals merged into this call), detected_at
 * (wall ms), ttl seconds. A signal within the suppression window of the record's last one continues
 * that alert (its count grows by the repeats, its window and severity widen); otherwise
 * the candidate opens a new one. Result: [id, first, last, severity, published, count, wstart, wend, detected_at, created].
 */
export const DEDUP = `
local h = redis.call('HMGET', KEYS[1], 'id', 'first', 'last', 'sev', 'pub', 'count', 'ws', 'we', 'det')
local ts = tonumber(ARGV[2])
local supp = tonumber(ARGV[3])
local sev = tonumber(ARGV[4])
local ws = tonumber(ARGV[5])
local we = tonumber(ARGV[6])
local created = 0
local id, first, last, psev, pub, count, pws, pwe, det
if h[1] and ts <= tonumber(h[3]) + supp and ts >= tonumber(h[2]) - supp then
  id = h[1]
  first = math.min(tonumber(h[2]), ts)
  last = math.max(tonumber(h[3]), ts, we)
  psev = math.max(tonumber(h[4]), sev)
  pub = tonumber(h[5]) or 0
  count = tonumber(h[6]) or 1
  count = count + tonumber(ARGV[7])
  pws = math.min(tonumber(h[7]), ws)
  pwe = math.max(tonumber(h[8]), we)
  det = h[9]
else
  id = ARGV[1]
  first = ts
  last = math.max(ts, we)
  psev = sev
  pub = 0
  count = math.max(1, tonumber(ARGV[7]))
  pws = ws
  pwe = we
  det = ARGV[8]
  created = 1
end
redis.call('HSET', KEYS[1], 'id', id, 'first', first, 'last', last, 'sev', psev, 'pub', pub, 'count', count, 'ws', pws, 'we', pwe, 'det', det)
redis.call('EXPIRE', KEYS[1], ARGV[9])
return { id, tostring(first), tostring(last), psev, pub, count, tostring(pws), tostring(pwe), det, created }
`;

/** Raises a numeric hash field to ARGV[2] if it is lower (KEYS[1], field ARGV[1]). */
export const HASH_MAX = `
local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[1]))
local v = tonumber(ARGV[2])
if cur == nil or cur < v then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
return 1
`;
