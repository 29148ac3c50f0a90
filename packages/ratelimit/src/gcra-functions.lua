-- GCRA: gcra(key, limit, window_ms, cost) and gcra_many(key, limit, window_ms, count); see gcra.ts.
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
