-- KEYS: record. ARGV: base, id, now, now_iso, event_id, actor, reason_json, transition, to, event_type, from_csv, details
local id, now, now_iso, event_id, actor = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local reason, transition, to, event_type, from_csv, details = decode_reason(ARGV[7]), ARGV[8], ARGV[9], ARGV[10], ARGV[11], ARGV[12]
if redis.call('EXISTS', KEYS[1]) == 0 then return fail('not_found', {key_id = id}) end
local f = redis.call('HMGET', KEYS[1], 'state', 'tenant_id', 'expires_at', 'rotated_to')
local bad = missing(f, {'state', 'tenant_id'})
if bad then return fail('corrupt_record', {key_id = id, field = bad}) end
local state, tenant, expires, rotated_to = f[1], f[2], opt(f[3]), opt(f[4])
local eff = effective(state, expires, now)
local function refuse(why)
  return fail('invalid_transition', {key_id = id, transition = transition, from = eff, state = state, to = to, why = why})
end
if transition == 'expire' then
  if not listed(from_csv, state) then return refuse(nil) end
  if eff ~= 'expired' then return refuse('its expiry time has not passed') end
elseif not listed(from_csv, eff) then
  return refuse(nil)
end
if transition == 'reactivate' then
  if rotated_to then return refuse('it was rotated to ' .. rotated_to) end
  if expires and tonumber(expires) <= tonumber(now) then return refuse('its expiry time has passed') end
end
redis.call('HSET', KEYS[1], 'state', to, 'updated_at', now)
if reason then redis.call('HSET', KEYS[1], 'state_reason', reason) else redis.call('HDEL', KEYS[1], 'state_reason') end
redis.call('HINCRBY', KEYS[1], 'version', 1)
if to == 'active' and expires then redis.call('ZADD', base .. 'expiries', expires, id) else redis.call('ZREM', base .. 'expiries', id) end
local facts = '"from":' .. cjson.encode(state) .. ',"to":' .. cjson.encode(to)
audit(tenant, now, entry(now_iso, id, actor, event_type, reason, with_facts(details, facts)))
announce(event_id, now_iso, tenant, id, event_type, actor, reason)
return {'ok', redis.call('HGETALL', KEYS[1])}
