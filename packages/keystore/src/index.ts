/**
 * `@keywatch/keystore`: key records in Redis, the system of record the key service writes and the
 * gateways read; each mutation is one atomic Lua script (design in the package README).
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
