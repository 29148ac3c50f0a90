/**
 * `@keywatch/keystore`: key records in Redis, the system of record the key service writes and the
 * gateways read. Each mutation is one Lua script that changes the record, its indexes, the
 * tenant's audit stream and the lifecycle outbox atomically; all keys share the hash tag `{ks}`
 * (one Redis Cluster slot; see `layout.ts` for the layout, the sizing trade-off and the required
 * production settings: AOF on, `maxmemory-policy noeviction`).
 * @module
 */
export type {
  Actor,
  AuditEntry,
  AuditFilter,
  AuditLog,
  KeyPatch,
  KeyRecord,
  KeyRecords,
  KeyStore,
  LifecycleOutbox,
  ListFilter,
  NewKey,
  PendingLifecycleEvent,
  RateLimitPolicy,
  Transition,
  TriggerPolicies,
  TriggerPolicy,
} from './types.js';
export { KeyStoreError, type KeyStoreErrorCode } from './errors.js';
export { effectiveState, TRANSITIONS, type TransitionRule } from './state.js';
export { createKeyStore, DEFAULT_TRIGGER_POLICY, type KeyStoreOptions } from './store.js';
export {
  decodeRecord,
  KeyPatchSchema,
  NewKeySchema,
  pairsToObject,
  RateLimitPolicySchema,
  TriggerPolicySchema,
  type StoredRecord,
} from './record.js';
export { layout, OUTBOX_GROUP } from './layout.js';
