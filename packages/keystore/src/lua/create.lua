-- KEYS: record. ARGV: base, id, hash, tenant, now, now_iso, event_id, actor, expires_ms|'', details, field, value, …
local id, hash, tenant, now, now_iso, event_id, actor, expires, details = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10]
if redis.call('EXISTS', KEYS[1]) == 1 then return fail('conflict', {key_id = id, field = 'id'}) end
local hash_key = base .. 'hash:' .. hash
if redis.call('EXISTS', hash_key) == 1 then return fail('conflict', {key_id = id, field = 'hash'}) end
redis.call('HSET', KEYS[1], unpack(ARGV, 11))
redis.call('SET', hash_key, id)
redis.call('ZADD', base .. 'tenant:' .. tenant, now, id)
if expires ~= '' then redis.call('ZADD', base .. 'expiries', expires, id) end
audit(tenant, now, entry(now_iso, id, actor, 'created', nil, details))
announce(event_id, now_iso, tenant, id, 'created', actor, nil)
return {'ok', redis.call('HGETALL', KEYS[1])}
