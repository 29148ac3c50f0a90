-- KEYS: the hour's counter. ARGV: cap, ttl_s. Reply: 1 taken, 0 cap reached (not counted).
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used >= tonumber(ARGV[1]) then return 0 end
redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
