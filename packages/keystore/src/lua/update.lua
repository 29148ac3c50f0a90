-- KEYS: record. ARGV: base, id, now, now_iso, event_id, actor, after_json, n_set, (field, value) × n_set, deleted field …
local id, now, now_iso, event_id, actor, after = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
if redis.call('EXISTS', KEYS[1]) == 0 then return fail('not_found', {key_id = id}) end
local f = redis.call('HMGET', KEYS[1], 'state', 'tenant_id', 'expires_at')
local bad = missing(f, {'state', 'tenant_id'})
if bad then return fail('corrupt_record', {key_id = id, field = bad}) end
local state, tenant = f[1], f[2]
local eff = effective(state, opt(f[3]), now)
if eff == 'revoked' or eff == 'expired' then
  return fail('invalid_transition', {key_id = id, transition = 'update', from = eff, state = state, to = state})
end
local n = tonumber(ARGV[8])
local sets, dels, changed = {}, {}, {}
for i = 9, 8 + 2 * n, 2 do
  sets[#sets + 1] = ARGV[i]
  sets[#sets + 1] = ARGV[i + 1]
  changed[#changed + 1] = ARGV[i]
end
for i = 9 + 2 * n, #ARGV do
  dels[#dels + 1] = ARGV[i]
  changed[#changed + 1] = ARGV[i]
end
local before = {}
for _, field in ipairs(changed) do
  local raw = opt(redis.call('HGET', KEYS[1], field))
  local value = 'null'
  if raw then
    if JSON_FIELDS[field] then value = raw else value = cjson.encode(raw) end
  end
  before[#before + 1] = cjson.encode(field) .. ':' .. value
end
if #sets > 0 then redis.call('HSET', KEYS[1], unpack(sets)) end
if #dels > 0 then redis.call('HDEL', KEYS[1], unpack(dels)) end
redis.call('HSET', KEYS[1], 'updated_at', now)
redis.call('HINCRBY', KEYS[1], 'version', 1)
audit(tenant, now, entry(now_iso, id, actor, 'updated', nil, '{"before":{' .. table.concat(before, ',') .. '},"after":' .. after .. '}'))
announce(event_id, now_iso, tenant, id, 'updated', actor, nil)
return {'ok', redis.call('HGETALL', KEYS[1])}
