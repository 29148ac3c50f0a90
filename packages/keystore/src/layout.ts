/**
 * Where the keystore lives in Redis (after the client's own key prefix). Every key carries the hash
 * tag `{ks}` so each mutation is one Lua script over one Cluster slot; the key table, the sizing
 * trade-off and the required Redis settings are in the package README.
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
