-- Runs many events' plans on one state shard; see apply-plan.ts for KEYS, ARGV and the reply.
-- Number-to-string conversion costs several times a concatenation: numbers only passed on arrive
-- as strings, values read go back as Redis gave them, and bucket numbers use the TWO table.
local TWO = {}
for i = 0, 99 do TWO[i] = string.format('%02d', i) end
local HUNDREDS = {}
local function bucketName(b)
  if b < 100 then return tostring(b) end
  local hi = math.floor(b / 100)
  local text = HUNDREDS[hi]
  if text == nil then
    text = tostring(hi)
    HUNDREDS[hi] = text
  end
  return text .. TWO[b - hi * 100]
end
local ttl = {}
local function touch(k, t) if t > 0 and (ttl[k] or 0) < t then ttl[k] = t end end
local wms = {}
local trims = {}
local function watermark(k)
  local wm = wms[k]
  if wm == nil then
    local top = redis.call('ZRANGE', k, '-1', '-1', 'WITHSCORES')
    wm = tonumber(top[2]) or false
    wms[k] = wm
  end
  return wm
end
-- Adds member m (score s) to the seen/applied set k; kt is its trim record (false: no trim asked this call). Result: 1 added,
-- 0 already there (a duplicate), -1 late (not added). Lateness is checked only for new members.
local function mark(k, kt, s, m, l, late)
  local wm = watermark(k)
  local added = redis.call('ZADD', k, 'NX', s, m)
  if added == 0 then return 0 end
  local sn = tonumber(s)
  if late and wm ~= false and sn < wm - l then
    redis.call('ZREM', k, m)
    return -1
  end
  if wm == false or sn > wm then wms[k] = sn end
  if kt and trims[k] == nil then trims[k] = { kt, l } end
  return 1
end
local function zaddTrim(k, s, m, lo, cap)
  -- The set only grows when a member is added, so only then is it trimmed.
  if redis.call('ZADD', k, 'GT', s, m) == 1 then
    redis.call('ZREMRANGEBYSCORE', k, '-inf', '(' .. lo)
    local n = redis.call('ZCARD', k)
    if n > cap then redis.call('ZREMRANGEBYRANK', k, 0, n - cap - 1) end
  end
end
local function base(k, op, fresh)
  -- op: [o, k, m, h, c, a, pd, n, t]
  local m = op[3]
  local h = op[4]
  local c, a, pd, t = op[5], op[6], op[7], op[9]
  local hf = m .. ':h:' .. bucketName(h)
  local v = redis.call('HMGET', k, m .. ':mean', m .. ':var', m .. ':n', m .. ':last', m .. ':lastx', m .. ':start', m .. ':peak', hf, m .. ':h:' .. bucketName(h - 1))
  local mean = tonumber(v[1]) or 0
  local var = tonumber(v[2]) or 0
  local n = tonumber(v[3]) or 0
  local last = tonumber(v[4])
  local lastx = tonumber(v[5]) or 0
  local start = tonumber(v[6])
  local peak = tonumber(v[7]) or 0
  local cur = tonumber(v[8]) or 0
  local prev = tonumber(v[9]) or 0
  local counted = false
  local steps = 0
  if fresh and op[8] == 1 then
    if start == nil then
      start = h
      redis.call('HSET', k, m .. ':start', h)
    end
    if last == nil or h > last then
      redis.call('HINCRBY', k, hf, '1')
      cur = cur + 1
      counted = true
    end
    touch(k, t)
  end
  if start ~= nil then
    local hour = last and (last + 1) or start
    while hour < c do
      local field = m .. ':h:' .. bucketName(hour)
      local x = tonumber(redis.call('HGET', k, field)) or 0
      if x > 0 then redis.call('HDEL', k, field) end
      if n == 0 then
        mean = x
        var = 0
      else
        local diff = x - mean
        local incr = a * diff
        mean = mean + incr
        var = (1 - a) * (var + diff * incr)
      end
      peak = math.max(x, peak * pd)
      n = n + 1
      lastx = x
      last = hour
      steps = steps + 1
      -- Hours without events hold no counts; past a few weeks of silence the baseline is zero anyway.
      if steps >= 2000 then last = c - 1; break end
      hour = hour + 1
    end
    if steps > 0 then
      redis.call('HSET', k, m .. ':mean', tostring(mean), m .. ':var', tostring(var), m .. ':n', n, m .. ':last', last, m .. ':lastx', lastx, m .. ':peak', tostring(peak))
      touch(k, t)
    end
  end
  -- A folded hour's field is gone: its count is lastx when it is the last folded one. Without a
  -- fold (nearly always), values come back as read (text, false when missing: the caller reads 0).
  local outPrev = v[9] or false
  if last ~= nil and last >= h - 1 then
    if last ~= h - 1 then outPrev = false elseif steps > 0 then outPrev = lastx else outPrev = v[5] or false end
  end
  local outCur = v[8] or false
  if last ~= nil and last >= h then outCur = false elseif counted then outCur = cur end
  if steps > 0 then return { mean, var, n, outCur, outPrev, peak } end
  return { v[1] or false, v[2] or false, v[3] or false, outCur, outPrev, v[7] or false }
end
local function geo(k, kc, op, fresh)
  -- op: [o, k, kc, country, s, v, from, lo, t]
  local s, t = op[5], op[9]
  local known = redis.call('ZRANGEBYSCORE', kc, op[7], '+inf', 'WITHSCORES', 'LIMIT', '0', '100')
  local h = redis.call('HMGET', k, 'n', 'first', 'loc')
  if fresh then
    local prev = h[3]
    local prevTs = prev and tonumber(string.match(prev, '^(%d+)')) or nil
    local n = (tonumber(h[1]) or 0) + 1
    if prevTs == nil or prevTs < tonumber(s) then
      redis.call('HSET', k, 'n', n, 'loc', op[6])
    else
      redis.call('HSET', k, 'n', n)
    end
    -- The earliest success, so a backfill of older history arriving later still counts as history.
    if not h[2] or tonumber(h[2]) > tonumber(s) then redis.call('HSET', k, 'first', s) end
    zaddTrim(kc, s, op[4], op[8], 100)
    touch(k, t)
    touch(kc, t)
  end
  return { known, h[1], h[2], h[3] }
end
-- Operations arrive as arrays (see encodeOp in apply-plan.ts): [o, k, ...fields in order].
local function run(ops, map)
  local fresh = true
  local out = {}
  for i, op in ipairs(ops) do
    local o = op[1]
    local k = KEYS[map[op[2]]]
    local r = false
    if o == 'seen' or o == 'ap' then
      -- [o, k, m, s, l, t, kt, ktt]: seen checks the lateness, ap does not (late events never get
      -- there); kt is 0 when the caller does not ask for a trim this time, ktt the trim record's TTL
      local kt = op[7] > 0 and KEYS[map[op[7]]] or false
      local added = mark(k, kt, op[4], op[3], op[5], o == 'seen')
      if added == -1 then return { -1 } end
      fresh = added == 1
      touch(k, op[6])
      if kt then touch(kt, op[8]) end
      r = added
    elseif o == 'hincr' then
      -- [o, k, f, n, t]
      if fresh then redis.call('HINCRBY', k, op[3], op[4]); touch(k, op[5]) end
    elseif o == 'zadd' then
      -- [o, k, m, s, t, cap, lo]
      if fresh then zaddTrim(k, op[4], op[3], op[7], op[6]); touch(k, op[5]) end
    elseif o == 'hsetnx' then
      -- [o, k, f, v, t]
      if fresh then redis.call('HSETNX', k, op[3], op[4]); touch(k, op[5]) end
    elseif o == 'hmget' then
      -- [o, k, fields]
      if #op[3] > 0 then r = redis.call('HMGET', k, unpack(op[3])) else r = {} end
    elseif o == 'hwin' then
      -- [o, k, metrics, from, to]
      local f = {}
      for _, m in ipairs(op[3]) do
        for b = op[4], op[5] do f[#f + 1] = m .. bucketName(b) end
      end
      if #f > 0 then r = redis.call('HMGET', k, unpack(f)) else r = {} end
    elseif o == 'zcount' then
      -- [o, k, min, max, ifAny]: with ifAny (1), only when the operation before returned members
      if op[5] ~= 1 or (type(out[i - 1]) == 'table' and #out[i - 1] > 0) then r = redis.call('ZCOUNT', k, op[3], op[4]) end
    elseif o == 'zrange' then
      -- [o, k, min, max, lim]
      r = redis.call('ZRANGEBYSCORE', k, op[3], op[4], 'WITHSCORES', 'LIMIT', '0', op[5])
    elseif o == 'base' then
      r = base(k, op, fresh)
    elseif o == 'geo' then
      r = geo(k, KEYS[map[op[3]]], op, fresh)
    end
    out[i] = r
  end
  return out
end
local plans = cjson.decode(ARGV[1])
local results = {}
for j, plan in ipairs(plans) do
  -- plan: [key map, ops]
  results[j] = run(plan[2], plan[1])
end
-- Trimmed at most once per call and key, to a watermark snapshot at least a hold old (minus the
-- lateness): every member added since that snapshot scores at least that much, so nothing
-- processed within the hold goes, and anything older than it could only come back late.
local now = tonumber(ARGV[2])
local hold = tonumber(ARGV[3])
for k, tr in pairs(trims) do
  local kt, l = tr[1], tr[2]
  local snap = redis.call('HMGET', kt, 'w', 't')
  local at = tonumber(snap[2])
  if at == nil or now - at >= hold then
    local w = tonumber(snap[1])
    if w ~= nil then redis.call('ZREMRANGEBYSCORE', k, '-inf', '(' .. (w - l)) end
    redis.call('HSET', kt, 'w', wms[k], 't', now)
  end
end
for k, t in pairs(ttl) do redis.call('EXPIRE', k, t) end
return cjson.encode(results)
