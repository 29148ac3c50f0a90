-- KEYS[1] the record; ARGV: expected, next. Sets it only if it still holds the expected text. Reply: 1 set, 0 not.
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2]) return 1 end return 0
