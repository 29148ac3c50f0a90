-- Finds or opens the alert of a dedup key; see DEDUP in apply-plan.ts.
local h = redis.call('HMGET', KEYS[1], 'id', 'first', 'last', 'sev', 'pub', 'count', 'ws', 'we', 'det')
local ts = tonumber(ARGV[2])
local supp = tonumber(ARGV[3])
local sev = tonumber(ARGV[4])
local ws = tonumber(ARGV[5])
local we = tonumber(ARGV[6])
local created = 0
local id, first, last, psev, pub, count, pws, pwe, det
if h[1] and h[1] ~= ARGV[10] and ts <= tonumber(h[3]) + supp and ts >= tonumber(h[2]) - supp then
  id = h[1]
  first = math.min(tonumber(h[2]), ts)
  last = math.max(tonumber(h[3]), ts, we)
  psev = math.max(tonumber(h[4]), sev)
  pub = tonumber(h[5]) or 0
  count = tonumber(h[6]) or 1
  count = count + tonumber(ARGV[7])
  pws = math.min(tonumber(h[7]), ws)
  pwe = math.max(tonumber(h[8]), we)
  det = h[9]
else
  id = ARGV[1]
  first = ts
  last = math.max(ts, we)
  psev = sev
  pub = 0
  count = math.max(1, tonumber(ARGV[7]))
  pws = ws
  pwe = we
  det = ARGV[8]
  created = 1
end
-- The claim to publish a rank above the published one: the first claimant's, until it expires.
local publish = 0
if psev > pub then
  local claim = redis.call('HMGET', KEYS[1], 'csev', 'cby', 'cat')
  local now = tonumber(ARGV[12])
  if created == 1 or claim[1] == false or tonumber(claim[1]) < psev or claim[2] == ARGV[11] or tonumber(claim[3]) < now - tonumber(ARGV[13]) then
    publish = 1
    redis.call('HSET', KEYS[1], 'csev', psev, 'cby', ARGV[11], 'cat', now)
  end
end
redis.call('HSET', KEYS[1], 'id', id, 'first', first, 'last', last, 'sev', psev, 'pub', pub, 'count', count, 'ws', pws, 'we', pwe, 'det', det)
redis.call('EXPIRE', KEYS[1], ARGV[9])
return { id, tostring(first), tostring(last), psev, pub, count, tostring(pws), tostring(pwe), det, created, publish }
