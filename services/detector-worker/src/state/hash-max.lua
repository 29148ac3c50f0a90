-- Raises a numeric hash field to ARGV[2] if it is lower (KEYS[1], field ARGV[1]).
local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[1]))
local v = tonumber(ARGV[2])
if cur == nil or cur < v then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
return 1
