/**
 * Where the keystore lives in Redis (after the client's own key prefix). Every key carries the hash
 * tag `{ks}`, so in Redis Cluster the whole keystore sits in one slot and each mutation can be one
 * Lua script over the record, its indexes, the audit stream and the outbox. The trade-off: one slot
 * lives on one primary, which holds roughly ten million keys comfortably; beyond that, shard by
 * tenant (a tag per tenant, `{ks:<tenant>}`) and keep the cross-tenant sets (`tenants`,
 * `expiries`, `outbox`) per shard.
 *
 * | key | type | holds |
 * |---|---|---|
 * | `{ks}:rec:<id>` | hash | the record ({@link encodeRecord}) |
 * | `{ks}:hash:<sha256 hex>` | string | the id of the key with that hash |
 * | `{ks}:tenant:<tenant>` | zset | the tenant's key ids by created_at ms |
 * | `{ks}:tenants` | set | tenants with keys or audit entries |
 * | `{ks}:audit:<tenant>` | stream | the tenant's audit entries; ids carry the caller's clock; never trimmed |
 * | `{ks}:outbox` | stream | lifecycle events (`event` = docs/contracts.md#key-lifecycle-event JSON), group `relay`; entries deleted once acknowledged |
 * | `{ks}:expiries` | zset | ids of `active`/`rotating` keys by expires_at ms |
 * | `{ks}:policy:<tenant>` | hash | the tenant's trigger policy |
 * | `{ks}:actions:<tenant>:<yyyymmddhh>` | string | automatic actions in that UTC hour; TTL 2 h |
 * | `{ks}:trigger:<trigger_id>` | string | a handled trigger; TTL 30 days |
 *
 * Production Redis must run with `appendonly yes` (`appendfsync everysec` loses at most a second
 * on a host crash, `always` nothing) and `maxmemory-policy noeviction`: this is the system of
 * record, and an evicted record or audit entry would be silently lost.
 * @module
 */

/** The hash tag every keystore key carries. */
export const TAG = '{ks}';

/** Key names, relative to the client's prefix; the Lua scripts build the same names from `<prefix>{ks}:`. */
export const layout = {
  record: (id: string) => `${TAG}:rec:${id}`,
  hash: (hash: string) => `${TAG}:hash:${hash}`,
  tenant: (tenantId: string) => `${TAG}:tenant:${tenantId}`,
  tenants: `${TAG}:tenants`,
  audit: (tenantId: string) => `${TAG}:audit:${tenantId}`,
  outbox: `${TAG}:outbox`,
  expiries: `${TAG}:expiries`,
  policy: (tenantId: string) => `${TAG}:policy:${tenantId}`,
  /** `hour` is `yyyymmddhh` in UTC. */
  actions: (tenantId: string, hour: string) => `${TAG}:actions:${tenantId}:${hour}`,
  trigger: (triggerId: string) => `${TAG}:trigger:${triggerId}`,
} as const;

/** The consumer group that relays the outbox to Kafka. */
export const OUTBOX_GROUP = 'relay';
