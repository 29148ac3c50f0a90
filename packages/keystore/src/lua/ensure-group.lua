-- KEYS: outbox. ARGV: group. Creates the group if missing; a script because ioredis does not
-- prefix XGROUP's key.
local reply = redis.pcall('XGROUP', 'CREATE', KEYS[1], ARGV[1], '0', 'MKSTREAM')
if type(reply) == 'table' and reply.err and not string.find(reply.err, 'BUSYGROUP', 1, true) then
  return redis.error_reply(reply.err)
end
return 'ok'
