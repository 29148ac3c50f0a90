-- KEYS: old record, new record. ARGV: base, old_id, new_id, new_hash, new_prefix, new_last4, now, now_iso, grace_end_ms, grace_s, event_old, event_new, actor
local old_id, new_id, new_hash, new_prefix, new_last4 = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local now, now_iso, grace_end, grace_s, event_old, event_new, actor = ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11], ARGV[12], ARGV[13]
if redis.call('EXISTS', KEYS[1]) == 0 then return fail('not_found', {key_id = old_id}) end
local names = {'state', 'tenant_id', 'prefix', 'environment', 'type', 'name', 'scopes', 'allowed_ips', 'allowed_origins', 'expires_at', 'rotated_to', 'rate_limit'}
local f = redis.call('HMGET', KEYS[1], unpack(names))
local bad = missing(f, {'state', 'tenant_id', 'prefix', 'environment', 'type', 'name', 'scopes', 'allowed_ips', 'allowed_origins'})
if bad then return fail('corrupt_record', {key_id = old_id, field = bad}) end
local state, tenant, prefix = f[1], f[2], f[3]
local expires, rotated_to, rate_limit = opt(f[10]), opt(f[11]), opt(f[12])
if rotated_to then return fail('already_rotated', {key_id = old_id, rotated_to = rotated_to}) end
local eff = effective(state, expires, now)
if eff ~= 'active' then
  return fail('invalid_transition', {key_id = old_id, transition = 'rotate', from = eff, state = state, to = 'rotating'})
end
if new_prefix ~= prefix then
  return fail('invalid_argument', {key_id = old_id, field = 'prefix', message = 'the successor must have the prefix ' .. prefix})
end
if redis.call('EXISTS', KEYS[2]) == 1 then return fail('conflict', {key_id = new_id, field = 'id'}) end
local hash_key = base .. 'hash:' .. new_hash
if redis.call('EXISTS', hash_key) == 1 then return fail('conflict', {key_id = new_id, field = 'hash'}) end

-- Rotation never extends a lifetime: the old key ends at the earlier of its own expiry and the
-- end of the grace period, and the successor inherits the old key's original expiry.
local ends = grace_end
if expires and tonumber(expires) < tonumber(grace_end) then ends = expires end
local old_state = 'rotating'
if tonumber(ends) <= tonumber(now) then old_state = 'expired' end
redis.call('HSET', KEYS[1], 'state', old_state, 'expires_at', ends, 'rotated_to', new_id, 'updated_at', now)
redis.call('HDEL', KEYS[1], 'state_reason')
redis.call('HINCRBY', KEYS[1], 'version', 1)
if old_state == 'rotating' then redis.call('ZADD', base .. 'expiries', ends, old_id) else redis.call('ZREM', base .. 'expiries', old_id) end

local env, kind, name, scopes, ips, origins = f[4], f[5], f[6], f[7], f[8], f[9]
local fields = {'id', new_id, 'hash', new_hash, 'tenant_id', tenant, 'environment', env, 'type', kind, 'name', name,
  'scopes', scopes, 'state', 'active', 'prefix', new_prefix, 'last4', new_last4, 'created_at', now, 'created_by', actor,
  'updated_at', now, 'rotated_from', old_id, 'allowed_ips', ips, 'allowed_origins', origins, 'version', '1'}
if rate_limit then
  fields[#fields + 1] = 'rate_limit'
  fields[#fields + 1] = rate_limit
end
if expires then
  fields[#fields + 1] = 'expires_at'
  fields[#fields + 1] = expires
end
redis.call('HSET', KEYS[2], unpack(fields))
redis.call('SET', hash_key, new_id)
redis.call('ZADD', base .. 'tenant:' .. tenant, now, new_id)
if expires then redis.call('ZADD', base .. 'expiries', expires, new_id) end

local rotated = cjson.encode({successor = new_id, grace_period_s = tonumber(grace_s), expires_at = iso(ends), from = 'active', to = old_state})
audit(tenant, now, entry(now_iso, old_id, actor, 'rotated', nil, rotated))
local created = '{"rotated_from":' .. cjson.encode(old_id) .. ',"name":' .. cjson.encode(name) .. ',"type":' .. cjson.encode(kind) ..
  ',"environment":' .. cjson.encode(env) .. ',"scopes":' .. scopes .. ',"prefix":' .. cjson.encode(new_prefix) ..
  ',"last4":' .. cjson.encode(new_last4) .. ',"expires_at":' .. (expires and cjson.encode(iso(expires)) or 'null') ..
  ',"allowed_ips":' .. ips .. ',"allowed_origins":' .. origins .. ',"rate_limit":' .. (rate_limit or 'null') .. '}'
audit(tenant, now, entry(now_iso, new_id, actor, 'created', nil, created))
announce(event_old, now_iso, tenant, old_id, 'rotated', actor, nil)
announce(event_new, now_iso, tenant, new_id, 'created', actor, nil)
return {'ok', redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[2])}
