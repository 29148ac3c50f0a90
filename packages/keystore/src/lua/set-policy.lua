-- KEYS: policy. ARGV: base, tenant, now, now_iso, actor, mode, allow_live_revoke ('true'|'false'), max_actions_per_hour
local tenant, now, now_iso, actor, mode, allow, max = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]
local old = redis.call('HGETALL', KEYS[1])
local before = cjson.null
if #old > 0 then
  local o = {}
  for i = 1, #old, 2 do o[old[i]] = old[i + 1] end
  before = {mode = o.mode, allow_live_revoke = o.allow_live_revoke == 'true', max_actions_per_hour = tonumber(o.max_actions_per_hour)}
end
redis.call('HSET', KEYS[1], 'mode', mode, 'allow_live_revoke', allow, 'max_actions_per_hour', max)
local after = {mode = mode, allow_live_revoke = allow == 'true', max_actions_per_hour = tonumber(max)}
audit(tenant, now, entry(now_iso, nil, actor, 'policy_updated', nil, cjson.encode({before = before, after = after})))
return 'ok'
