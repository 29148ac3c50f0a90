-- KEYS[1] the hash index. ARGV: base, bucket prefix, environment, scope or '', has origin '1'|'0', now ms.
-- Reply: false, or { id, HGETALL, gcra reply | false }. Needs gcra-functions.lua first.
local id = redis.call('GET', KEYS[1])
if not id then return false end
local flat = redis.call('HGETALL', ARGV[1] .. 'rec:' .. id)
local f = {}
for i = 1, #flat, 2 do f[flat[i]] = flat[i + 1] end
local function passes()
  if f.state ~= 'active' and f.state ~= 'rotating' then return false end
  if f.expires_at and tonumber(f.expires_at) <= tonumber(ARGV[6]) then return false end
  if f.environment ~= ARGV[3] then return false end
  if f.allowed_ips ~= '[]' then return false end
  if f.allowed_origins ~= '[]' and ARGV[5] == '1' then return false end
  if not f.rate_limit then return false end
  if ARGV[4] ~= '' then
    local held = false
    for _, scope in ipairs(cjson.decode(f.scopes)) do
      if scope == ARGV[4] then held = true end
    end
    if not held then return false end
  end
  return true
end
local limited = false
if passes() then
  local policy = cjson.decode(f.rate_limit)
  local limit = tonumber(policy.limit)
  if limit and limit > 0 then
    limited = gcra(ARGV[2] .. '{rl:key:' .. id .. '}', limit, tonumber(policy.window_s) * 1000, 1)
  end
end
return { id, flat, limited }
