-- KEYS: hash index. ARGV: base. Reply: nil, or { id, HGETALL of the record }.
local base = ARGV[1]
local id = redis.call('GET', KEYS[1])
if not id then return false end
return {id, redis.call('HGETALL', base .. 'rec:' .. id)}
