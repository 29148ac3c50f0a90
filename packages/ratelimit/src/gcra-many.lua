-- KEYS[1] the bucket; ARGV limit, window in ms, count.
return gcra_many(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]))
