-- KEYS: audit stream. ARGV: base, tenant, now, now_iso, key_id|'', actor, action, reason_json, details. Reply: the entry id.
local tenant, now, now_iso, key_id, actor, action, reason, details = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], decode_reason(ARGV[8]), ARGV[9]
if key_id == '' then key_id = nil end
return audit(tenant, now, entry(now_iso, key_id, actor, action, reason, details))
