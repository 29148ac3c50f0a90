-- Helpers every mutating keystore script includes; ARGV[1] is always base (client prefix .. '{ks}:').
local base = ARGV[1]
local JSON_FIELDS = {scopes = true, allowed_ips = true, allowed_origins = true, rate_limit = true}

local function opt(v)
  if v == false then return nil end
  return v
end

local function fail(code, details)
  return {code, cjson.encode(details)}
end

local function listed(csv, s)
  return string.find(',' .. csv .. ',', ',' .. s .. ',', 1, true) ~= nil
end

-- Same rule as effectiveState() in state.ts.
local function effective(state, expires, now)
  if (state == 'active' or state == 'rotating') and expires and tonumber(expires) <= tonumber(now) then
    return 'expired'
  end
  return state
end

-- The first of names whose value in f is missing: checked before any write.
local function missing(f, names)
  for i, name in ipairs(names) do
    if not f[i] then return name end
  end
  return nil
end

-- Unix ms to RFC 3339 UTC with milliseconds (days-to-civil, H. Hinnant), as toEventTime() writes it.
local function iso(ms)
  ms = tonumber(ms)
  local secs = math.floor(ms / 1000)
  local milli = ms - secs * 1000
  local days = math.floor(secs / 86400)
  local rem = secs - days * 86400
  local z = days + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local d = doy - math.floor((153 * mp + 2) / 5) + 1
  local m = mp < 10 and mp + 3 or mp - 9
  local y = yoe + era * 400
  if m <= 2 then y = y + 1 end
  return string.format('%04d-%02d-%02dT%02d:%02d:%02d.%03dZ', y, m, d, math.floor(rem / 3600), math.floor((rem % 3600) / 60), rem % 60, milli)
end

-- Adds facts the script knows ('"k":v' pairs) to the caller's JSON object; facts win on a clash.
local function with_facts(details, facts)
  if details == '{}' then return '{' .. facts .. '}' end
  return string.sub(details, 1, -2) .. ',' .. facts .. '}'
end

local function entry(ts, key_id, actor, action, reason, details)
  local f = {'ts', ts, 'actor', actor, 'action', action, 'details', details}
  if key_id then
    f[#f + 1] = 'key_id'
    f[#f + 1] = key_id
  end
  if reason then
    f[#f + 1] = 'reason'
    f[#f + 1] = reason
  end
  return f
end

-- Audit ids carry the caller's clock, so time-range reads match ts. Ids must grow: a clock behind
-- the stream's last entry is clamped to it (ts still says when the caller thought it was).
local function audit(tenant, now, fields)
  local key = base .. 'audit:' .. tenant
  local ms = now
  local last = redis.call('XREVRANGE', key, '+', '-', 'COUNT', 1)
  if last[1] then
    local last_ms = string.match(last[1][1], '^(%d+)')
    if tonumber(last_ms) > tonumber(ms) then ms = last_ms end
  end
  redis.call('SADD', base .. 'tenants', tenant)
  return redis.call('XADD', key, ms .. '-*', unpack(fields))
end

-- The lifecycle event (docs/contracts.md#key-lifecycle-event) for the relay to publish.
local function announce(event_id, ts, tenant, key_id, kind, actor, reason)
  local event = {v = 1, event_id = event_id, ts = ts, tenant_id = tenant, key_id = key_id, type = kind, actor = actor, reason = reason or cjson.null}
  redis.call('XADD', base .. 'outbox', '*', 'event', cjson.encode(event))
end

local function decode_reason(text)
  local reason = cjson.decode(text)
  if reason == cjson.null then return nil end
  return reason
end
