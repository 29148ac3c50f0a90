import { JSON_FIELDS } from './record.js';

/*
 * The keystore's Lua scripts. Rules every mutating script follows:
 * - all checks first, writes after: Redis does not roll back a script that fails half-way, so a
 *   script must never be able to fail once it started writing;
 * - time comes in as ARGV (`now` in ms and as RFC 3339), never from Redis, so callers (and tests)
 *   own the clock;
 * - a refusal is returned, not raised: `{ code, json details }`; success is `{ 'ok', … }`;
 * - KEYS holds the keys the caller can name (so ioredis prefixes them and Cluster routes the call);
 *   keys that depend on the record (its tenant's audit stream, …) are built from ARGV[1], the
 *   client prefix plus `{ks}:`: same hash tag, same slot.
 */

const PRELUDE = `
local base = ARGV[1]
local JSON_FIELDS = {${JSON_FIELDS.map((f) => `${f} = true`).join(', ')}}

local function opt(v)
  if v == false then return nil end
  return v
end

local function fail(code, details)
  return {code, cjson.encode(details)}
end

local function listed(csv, s)
  return string.find(',' .. csv .. ',', ',' .. s .. ',', 1, true) ~= nil
end

-- Same rule as effectiveState() in state.ts.
local function effective(state, expires, now)
  if (state == 'active' or state == 'rotating') and expires and tonumber(expires) <= tonumber(now) then
    return 'expired'
  end
  return state
end

-- The first of names whose value in f is missing: checked before any write.
local function missing(f, names)
  for i, name in ipairs(names) do
    if not f[i] then return name end
  end
  return nil
end

-- Unix ms to RFC 3339 UTC with milliseconds (days-to-civil, H. Hinnant), as toEventTime() writes it.
local function iso(ms)
  ms = tonumber(ms)
  local secs = math.floor(ms / 1000)
  local milli = ms - secs * 1000
  local days = math.floor(secs / 86400)
  local rem = secs - days * 86400
  local z = days + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local d = doy - math.floor((153 * mp + 2) / 5) + 1
  local m = mp < 10 and mp + 3 or mp - 9
  local y = yoe + era * 400
  if m <= 2 then y = y + 1 end
  return string.format('%04d-%02d-%02dT%02d:%02d:%02d.%03dZ', y, m, d, math.floor(rem / 3600), math.floor((rem % 3600) / 60), rem % 60, milli)
end

-- Adds facts the script knows ('"k":v' pairs) to the caller's JSON object; facts win on a clash.
local function with_facts(details, facts)
  if details == '{}' then return '{' .. facts .. '}' end
  return string.sub(details, 1, -2) .. ',' .. facts .. '}'
end

local function entry(ts, key_id, actor, action, reason, details)
  local f = {'ts', ts, 'actor', actor, 'action', action, 'details', details}
  if key_id then
    f[#f + 1] = 'key_id'
    f[#f + 1] = key_id
  end
  if reason then
    f[#f + 1] = 'reason'
    f[#f + 1] = reason
  end
  return f
end

-- Audit ids carry the caller's clock, so time-range reads match ts. Ids must grow: a clock behind
-- the stream's last entry is clamped to it (ts still says when the caller thought it was).
local function audit(tenant, now, fields)
  local key = base .. 'audit:' .. tenant
  local ms = now
  local last = redis.call('XREVRANGE', key, '+', '-', 'COUNT', 1)
  if last[1] then
    local last_ms = string.match(last[1][1], '^(%d+)')
    if tonumber(last_ms) > tonumber(ms) then ms = last_ms end
  end
  redis.call('SADD', base .. 'tenants', tenant)
  return redis.call('XADD', key, ms .. '-*', unpack(fields))
end

-- The lifecycle event (docs/contracts.md#key-lifecycle-event) for the relay to publish.
local function announce(event_id, ts, tenant, key_id, kind, actor, reason)
  local event = {v = 1, event_id = event_id, ts = ts, tenant_id = tenant, key_id = key_id, type = kind, actor = actor, reason = reason or cjson.null}
  redis.call('XADD', base .. 'outbox', '*', 'event', cjson.encode(event))
end

local function decode_reason(text)
  local reason = cjson.decode(text)
  if reason == cjson.null then return nil end
  return reason
end
`;

/** KEYS: record. ARGV: base, id, hash, tenant, now, now_iso, event_id, actor, expires_ms|'', details, field, value, … */
const CREATE = `
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
`;

/** KEYS: record. ARGV: base, id, now, now_iso, event_id, actor, reason_json, transition, to, event_type, from_csv, details */
const TRANSITION = `
local id, now, now_iso, event_id, actor = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local reason, transition, to, event_type, from_csv, details = decode_reason(ARGV[7]), ARGV[8], ARGV[9], ARGV[10], ARGV[11], ARGV[12]
if redis.call('EXISTS', KEYS[1]) == 0 then return fail('not_found', {key_id = id}) end
local f = redis.call('HMGET', KEYS[1], 'state', 'tenant_id', 'expires_at', 'rotated_to')
local bad = missing(f, {'state', 'tenant_id'})
if bad then return fail('corrupt_record', {key_id = id, field = bad}) end
local state, tenant, expires, rotated_to = f[1], f[2], opt(f[3]), opt(f[4])
local eff = effective(state, expires, now)
local function refuse(why)
  return fail('invalid_transition', {key_id = id, transition = transition, from = eff, state = state, to = to, why = why})
end
if transition == 'expire' then
  if not listed(from_csv, state) then return refuse(nil) end
  if eff ~= 'expired' then return refuse('its expiry time has not passed') end
elseif not listed(from_csv, eff) then
  return refuse(nil)
end
if transition == 'reactivate' then
  if rotated_to then return refuse('it was rotated to ' .. rotated_to) end
  if expires and tonumber(expires) <= tonumber(now) then return refuse('its expiry time has passed') end
end
redis.call('HSET', KEYS[1], 'state', to, 'updated_at', now)
if reason then redis.call('HSET', KEYS[1], 'state_reason', reason) else redis.call('HDEL', KEYS[1], 'state_reason') end
redis.call('HINCRBY', KEYS[1], 'version', 1)
if to == 'active' and expires then redis.call('ZADD', base .. 'expiries', expires, id) else redis.call('ZREM', base .. 'expiries', id) end
local facts = '"from":' .. cjson.encode(state) .. ',"to":' .. cjson.encode(to)
audit(tenant, now, entry(now_iso, id, actor, event_type, reason, with_facts(details, facts)))
announce(event_id, now_iso, tenant, id, event_type, actor, reason)
return {'ok', redis.call('HGETALL', KEYS[1])}
`;

/** KEYS: old record, new record. ARGV: base, old_id, new_id, new_hash, new_prefix, new_last4, now, now_iso, grace_end_ms, grace_s, event_old, event_new, actor */
const ROTATE = `
local old_id, new_id, new_hash, new_prefix, new_last4 = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local now, now_iso, grace_end, grace_s, event_old, event_new, actor = ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11], ARGV[12], ARGV[13]
if redis.call('EXISTS', KEYS[1]) == 0 then return fail('not_found', {key_id = old_id}) end
local names = {'state', 'tenant_id', 'prefix', 'environment', 'type', 'name', 'scopes', 'allowed_ips', 'allowed_origins', 'expires_at', 'rotated_to', 'rate_limit'}
local f = redis.call('HMGET', KEYS[1], unpack(names))
local bad = missing(f, {'state', 'tenant_id', 'prefix', 'environment', 'type', 'name', 'scopes', 'allowed_ips', 'allowed_origins'})
if bad then return fail('corrupt_record', {key_id = old_id, field = bad}) end
local state, tenant, prefix = f[1], f[2], f[3]
local expires, rotated_to, rate_limit = opt(f[10]), opt(f[11]), opt(f[12])
if rotated_to then return fail('already_rotated', {key_id = old_id, rotated_to = rotated_to}) end
local eff = effective(state, expires, now)
if eff ~= 'active' then
  return fail('invalid_transition', {key_id = old_id, transition = 'rotate', from = eff, state = state, to = 'rotating'})
end
if new_prefix ~= prefix then
  return fail('invalid_argument', {key_id = old_id, field = 'prefix', message = 'the successor must have the prefix ' .. prefix})
end
if redis.call('EXISTS', KEYS[2]) == 1 then return fail('conflict', {key_id = new_id, field = 'id'}) end
local hash_key = base .. 'hash:' .. new_hash
if redis.call('EXISTS', hash_key) == 1 then return fail('conflict', {key_id = new_id, field = 'hash'}) end

-- Rotation never extends a lifetime: the old key ends at the earlier of its own expiry and the
-- end of the grace period, and the successor inherits the old key's original expiry.
local ends = grace_end
if expires and tonumber(expires) < tonumber(grace_end) then ends = expires end
local old_state = 'rotating'
if tonumber(ends) <= tonumber(now) then old_state = 'expired' end
redis.call('HSET', KEYS[1], 'state', old_state, 'expires_at', ends, 'rotated_to', new_id, 'updated_at', now)
redis.call('HDEL', KEYS[1], 'state_reason')
redis.call('HINCRBY', KEYS[1], 'version', 1)
if old_state == 'rotating' then redis.call('ZADD', base .. 'expiries', ends, old_id) else redis.call('ZREM', base .. 'expiries', old_id) end

local env, kind, name, scopes, ips, origins = f[4], f[5], f[6], f[7], f[8], f[9]
local fields = {'id', new_id, 'hash', new_hash, 'tenant_id', tenant, 'environment', env, 'type', kind, 'name', name,
  'scopes', scopes, 'state', 'active', 'prefix', new_prefix, 'last4', new_last4, 'created_at', now, 'created_by', actor,
  'updated_at', now, 'rotated_from', old_id, 'allowed_ips', ips, 'allowed_origins', origins, 'version', '1'}
if rate_limit then
  fields[#fields + 1] = 'rate_limit'
  fields[#fields + 1] = rate_limit
end
if expires then
  fields[#fields + 1] = 'expires_at'
  fields[#fields + 1] = expires
end
redis.call('HSET', KEYS[2], unpack(fields))
redis.call('SET', hash_key, new_id)
redis.call('ZADD', base .. 'tenant:' .. tenant, now, new_id)
if expires then redis.call('ZADD', base .. 'expiries', expires, new_id) end

local rotated = cjson.encode({successor = new_id, grace_period_s = tonumber(grace_s), expires_at = iso(ends), from = 'active', to = old_state})
audit(tenant, now, entry(now_iso, old_id, actor, 'rotated', nil, rotated))
local created = '{"rotated_from":' .. cjson.encode(old_id) .. ',"name":' .. cjson.encode(name) .. ',"type":' .. cjson.encode(kind) ..
  ',"environment":' .. cjson.encode(env) .. ',"scopes":' .. scopes .. ',"prefix":' .. cjson.encode(new_prefix) ..
  ',"last4":' .. cjson.encode(new_last4) .. ',"expires_at":' .. (expires and cjson.encode(iso(expires)) or 'null') ..
  ',"allowed_ips":' .. ips .. ',"allowed_origins":' .. origins .. ',"rate_limit":' .. (rate_limit or 'null') .. '}'
audit(tenant, now, entry(now_iso, new_id, actor, 'created', nil, created))
announce(event_old, now_iso, tenant, old_id, 'rotated', actor, nil)
announce(event_new, now_iso, tenant, new_id, 'created', actor, nil)
return {'ok', redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[2])}
`;

/** KEYS: record. ARGV: base, id, now, now_iso, event_id, actor, after_json, n_set, (field, value) × n_set, deleted field … */
const UPDATE = `
local id, now, now_iso, event_id, actor, after = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
if redis.call('EXISTS', KEYS[1]) == 0 then return fail('not_found', {key_id = id}) end
local f = redis.call('HMGET', KEYS[1], 'state', 'tenant_id', 'expires_at')
local bad = missing(f, {'state', 'tenant_id'})
if bad then return fail('corrupt_record', {key_id = id, field = bad}) end
local state, tenant = f[1], f[2]
local eff = effective(state, opt(f[3]), now)
if eff == 'revoked' or eff == 'expired' then
  return fail('invalid_transition', {key_id = id, transition = 'update', from = eff, state = state, to = state})
end
local n = tonumber(ARGV[8])
local sets, dels, changed = {}, {}, {}
for i = 9, 8 + 2 * n, 2 do
  sets[#sets + 1] = ARGV[i]
  sets[#sets + 1] = ARGV[i + 1]
  changed[#changed + 1] = ARGV[i]
end
for i = 9 + 2 * n, #ARGV do
  dels[#dels + 1] = ARGV[i]
  changed[#changed + 1] = ARGV[i]
end
local before = {}
for _, field in ipairs(changed) do
  local raw = opt(redis.call('HGET', KEYS[1], field))
  local value = 'null'
  if raw then
    if JSON_FIELDS[field] then value = raw else value = cjson.encode(raw) end
  end
  before[#before + 1] = cjson.encode(field) .. ':' .. value
end
if #sets > 0 then redis.call('HSET', KEYS[1], unpack(sets)) end
if #dels > 0 then redis.call('HDEL', KEYS[1], unpack(dels)) end
redis.call('HSET', KEYS[1], 'updated_at', now)
redis.call('HINCRBY', KEYS[1], 'version', 1)
audit(tenant, now, entry(now_iso, id, actor, 'updated', nil, '{"before":{' .. table.concat(before, ',') .. '},"after":' .. after .. '}'))
announce(event_id, now_iso, tenant, id, 'updated', actor, nil)
return {'ok', redis.call('HGETALL', KEYS[1])}
`;

/** KEYS: hash index. ARGV: base. Reply: nil, or { id, HGETALL of the record }. */
const BY_HASH = `
local id = redis.call('GET', KEYS[1])
if not id then return false end
return {id, redis.call('HGETALL', base .. 'rec:' .. id)}
`;

/** KEYS: audit stream. ARGV: base, tenant, now, now_iso, key_id|'', actor, action, reason_json, details. Reply: the entry id. */
const RECORD_AUDIT = `
local tenant, now, now_iso, key_id, actor, action, reason, details = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], decode_reason(ARGV[8]), ARGV[9]
if key_id == '' then key_id = nil end
return audit(tenant, now, entry(now_iso, key_id, actor, action, reason, details))
`;

/** KEYS: policy. ARGV: base, tenant, now, now_iso, actor, mode, allow_live_revoke ('true'|'false'), max_actions_per_hour */
const SET_POLICY = `
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
`;

/** KEYS: record. ARGV: at_ms. Only moves last_used_at forward; never creates a record. */
const TOUCH = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local current = redis.call('HGET', KEYS[1], 'last_used_at')
if current and tonumber(current) >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'last_used_at', ARGV[1])
return 1
`;

/** KEYS: the hour's counter. ARGV: cap, ttl_s. Reply: 1 taken, 0 cap reached (not counted). */
const TAKE_ACTION = `
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used >= tonumber(ARGV[1]) then return 0 end
redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
`;

/**
 * KEYS: outbox. ARGV: group. Creates the group (from the stream's start) if it is missing. In a
 * script because ioredis does not apply its key prefix to XGROUP's key.
 */
const ENSURE_GROUP = `
local reply = redis.pcall('XGROUP', 'CREATE', KEYS[1], ARGV[1], '0', 'MKSTREAM')
if type(reply) == 'table' and reply.err and not string.find(reply.err, 'BUSYGROUP', 1, true) then
  return redis.error_reply(reply.err)
end
return 'ok'
`;

/** A script as registered with ioredis `defineCommand`. */
export interface ScriptDefinition {
  numberOfKeys: number;
  lua: string;
}

/** Every keystore script by command name (names are prefixed so they cannot clash on a shared client). */
export const SCRIPTS = {
  keystoreCreate: { numberOfKeys: 1, lua: PRELUDE + CREATE },
  keystoreTransition: { numberOfKeys: 1, lua: PRELUDE + TRANSITION },
  keystoreRotate: { numberOfKeys: 2, lua: PRELUDE + ROTATE },
  keystoreUpdate: { numberOfKeys: 1, lua: PRELUDE + UPDATE },
  keystoreByHash: { numberOfKeys: 1, lua: `local base = ARGV[1]\n${BY_HASH}` },
  keystoreRecordAudit: { numberOfKeys: 1, lua: PRELUDE + RECORD_AUDIT },
  keystoreSetPolicy: { numberOfKeys: 1, lua: PRELUDE + SET_POLICY },
  keystoreTouch: { numberOfKeys: 1, lua: TOUCH },
  keystoreTakeAction: { numberOfKeys: 1, lua: TAKE_ACTION },
  keystoreEnsureGroup: { numberOfKeys: 1, lua: ENSURE_GROUP },
} as const satisfies Record<string, ScriptDefinition>;

export type ScriptName = keyof typeof SCRIPTS;

/** The shared Lua helpers, exported so a test can check `iso()` against `toEventTime()`. */
export const LUA_PRELUDE = PRELUDE;
