import type { KeyEnvironment, KeyLifecycleEvent, KeyState, KeyType, Scope } from '@keywatch/contracts';

/** A key's rate-limit policy: at most `limit` requests per `window_s` seconds. */
export interface RateLimitPolicy {
  limit: number;
  window_s: number;
}

/**
 * A key record as stored (docs/contracts.md#key-format): never the key itself, only its hash (kept out
 * of this type: it is an index, not a field anyone reads back), prefix and last 4 characters.
 * Times are RFC 3339 UTC strings with milliseconds.
 */
export interface KeyRecord {
  id: string;
  tenant_id: string;
  environment: KeyEnvironment;
  type: KeyType;
  name: string;
  scopes: Scope[];
  /** The stored state; see {@link effectiveState} for what a verifier should act on. */
  state: KeyState;
  /** Why the key is in its state (a person's reason, or the alert that suspended it). */
  state_reason: string | null;
  prefix: string;
  last4: string;
  created_at: string;
  created_by: string;
  updated_at: string;
  expires_at: string | null;
  rotated_from: string | null;
  rotated_to: string | null;
  allowed_ips: string[];
  allowed_origins: string[];
  rate_limit: RateLimitPolicy | null;
  last_used_at: string | null;
  /** Incremented by every change; lets caches and tests tell records apart. */
  version: number;
}

/** What the key service supplies to create a key: everything but the derived fields. */
export interface NewKey {
  id: string;
  /** hashKey(secret): the only trace of the secret that is stored. */
  hash: string;
  tenant_id: string;
  environment: KeyEnvironment;
  type: KeyType;
  name: string;
  scopes: Scope[];
  prefix: string;
  last4: string;
  expires_at: string | null;
  allowed_ips: string[];
  allowed_origins: string[];
  rate_limit: RateLimitPolicy | null;
}

/** The fields PATCH may change. */
export type KeyPatch = Partial<Pick<KeyRecord, 'name' | 'scopes' | 'allowed_ips' | 'allowed_origins' | 'rate_limit'>>;

/** Who did something: `root`, `key:<id>` (an admin key), `detector:<alert_id>`, `system:expiry`. */
export type Actor = string;

/** State changes other than creation and rotation; see {@link TRANSITIONS} for the rules. */
export type Transition = 'deactivate' | 'reactivate' | 'suspend' | 'revoke' | 'expire';

/** One audit entry: every change, every automatic action, every refusal. */
export interface AuditEntry {
  /** Redis stream id, e.g. `1764300000000-0` (its first part is the time in ms). */
  id: string;
  ts: string;
  tenant_id: string;
  key_id: string | null;
  actor: Actor;
  /** e.g. `created`, `rotated`, `revoked`, `trigger_refused`, `policy_updated`. */
  action: string;
  reason: string | null;
  /** Extra facts (previous state, trigger_id, alert_id, policy…), JSON-serialisable. */
  details: Record<string, unknown>;
}

/** The per-tenant policy for revocation triggers (docs/contracts.md#revocation-trigger). */
export interface TriggerPolicy {
  mode: 'notify_only' | 'suspend' | 'revoke';
  /** Live keys are never auto-revoked (only suspended) unless this is true. Default false. */
  allow_live_revoke: boolean;
  /** Automatic actions per tenant per hour; beyond it, triggers are refused and audited. Default 10. */
  max_actions_per_hour: number;
}

/** A lifecycle event waiting in the outbox, with the stream id to acknowledge once published. */
export interface PendingLifecycleEvent {
  outboxId: string;
  event: KeyLifecycleEvent;
}

/** Filter of {@link KeyRecords.list}. */
export interface ListFilter {
  /** Keys whose *effective* state ({@link effectiveState} at the store's clock) is this one. */
  state?: KeyState;
  environment?: KeyEnvironment;
  /** At most this many records (default: all). */
  limit?: number;
}

/** Filter of {@link AuditLog.audit}. Both bounds are inclusive, to the millisecond. */
export interface AuditFilter {
  keyId?: string;
  from?: Date;
  to?: Date;
  /** At most this many entries (default 1000). */
  limit?: number;
  /** `asc` (default): oldest first, `limit` taken from `from`; `desc`: newest first, from `to`. */
  order?: 'asc' | 'desc';
}

/**
 * Key records: the system of record for keys. Every mutation is one Lua script: the record, its
 * indexes, the tenant's audit stream and the lifecycle outbox change together or not at all.
 * Every method that takes `now` uses the store's clock when it is omitted.
 */
export interface KeyRecords {
  /** @throws KeyStoreError `conflict` (`details.field` = `id` or `hash`) or `invalid_argument`. */
  create(key: NewKey, actor: Actor, now?: Date): Promise<KeyRecord>;
  getById(id: string): Promise<KeyRecord | null>;
  /** O(1): one hash index lookup and one record read, in one round trip. */
  getByHash(hash: string): Promise<KeyRecord | null>;
  /** {@link KeyRecords.getByHash} for many hashes in one pipelined round trip, in the order given. */
  getManyByHash(hashes: readonly string[]): Promise<Array<KeyRecord | null>>;
  /** A tenant's keys, newest first. */
  list(tenantId: string, filter?: ListFilter): Promise<KeyRecord[]>;
  /**
   * Changes the fields of {@link KeyPatch}; refused on revoked and (effectively) expired keys.
   * An empty patch changes nothing and returns the record.
   * @throws KeyStoreError `not_found`, `invalid_transition` or `invalid_argument`.
   */
  update(id: string, patch: KeyPatch, actor: Actor, now?: Date): Promise<KeyRecord>;
  /**
   * Applies a state change (rules in {@link TRANSITIONS}). A refusal writes nothing; callers that
   * must audit refusals do so with {@link AuditLog.recordAudit}.
   * @param details - extra facts for the audit entry (e.g. `trigger_id`, `alert_id`).
   * @throws KeyStoreError `invalid_transition` (`from`/`to` in details) or `not_found`.
   */
  transition(
    id: string,
    transition: Transition,
    actor: Actor,
    reason: string | null,
    now?: Date,
    details?: Record<string, unknown>,
  ): Promise<KeyRecord>;
  /**
   * Rotates an active key: the old one becomes `rotating` until now + grace (grace 0: `expired`
   * at once), the new one is created active with the same tenant, environment, type, name, scopes
   * and restrictions. Rotation never extends a lifetime: the old key keeps an earlier expires_at
   * if it had one, and the successor inherits the old key's original expires_at. Exactly one
   * successor can ever exist.
   * @throws KeyStoreError `not_found`, `already_rotated`, `invalid_transition` (not active),
   *   `conflict` (successor id or hash taken), `invalid_argument` (successor prefix differs).
   */
  rotate(
    id: string,
    successor: Pick<NewKey, 'id' | 'hash' | 'prefix' | 'last4'>,
    graceSeconds: number,
    actor: Actor,
    now?: Date,
  ): Promise<{ previous: KeyRecord; next: KeyRecord }>;
  /**
   * Records last use (only ever moves forward); cheap, no audit entry, no lifecycle event, and no
   * version bump (caches keyed on `version` must not churn on every request). Unknown ids are ignored.
   */
  touch(id: string, at: Date): Promise<void>;
  /**
   * Ids of keys stored `active` or `rotating` whose expires_at is at or before `now`, soonest
   * first: exactly the keys `transition(id, 'expire')` accepts.
   */
  dueExpiries(now: Date, limit: number): Promise<string[]>;
  /**
   * Ids of keys stored `active` or `rotating` whose expires_at lies in (from, to], soonest first
   * (the same index as {@link KeyRecords.dueExpiries}): what hygiene checks look ahead at.
   */
  upcomingExpiries(from: Date, to: Date, limit: number): Promise<string[]>;
}

/** The audit log: one stream per tenant, never trimmed. */
export interface AuditLog {
  /** Audit entries of a tenant, optionally for one key and a time range. */
  audit(tenantId: string, filter?: AuditFilter): Promise<AuditEntry[]>;
  /** Tenants that have an audit log (for the root key's view), sorted. */
  tenants(): Promise<string[]>;
  /** An audit entry without a state change (a refused trigger, a policy change). */
  recordAudit(entry: Omit<AuditEntry, 'id' | 'ts'>, now?: Date): Promise<AuditEntry>;
}

/** What revocation triggers need: each tenant's policy, its hourly cap, and trigger idempotency. */
export interface TriggerPolicies {
  /** The tenant's policy, or the default (`notify_only`, no live revocation, 10 per hour). */
  getPolicy(tenantId: string): Promise<TriggerPolicy>;
  /** Stores the policy and audits the change (`policy_updated`, before and after) atomically. */
  setPolicy(tenantId: string, policy: TriggerPolicy, actor: Actor, now?: Date): Promise<TriggerPolicy>;
  /**
   * Counts an automatic action against the tenant's hourly cap (UTC clock hour of `now`); false
   * when the cap is reached (the count is then not increased).
   */
  takeAutomaticAction(tenantId: string, cap: number, now?: Date): Promise<boolean>;
  /** Marks a trigger id as handled; false if it was already (idempotency for 30 days). */
  claimTrigger(triggerId: string): Promise<boolean>;
  /** True when {@link TriggerPolicies.claimTrigger} has marked this trigger id (within 30 days). */
  isTriggerClaimed(triggerId: string): Promise<boolean>;
}

/** The lifecycle outbox: events the mutations wrote, for the relay to publish. */
export interface LifecycleOutbox {
  /**
   * Lifecycle events not yet acknowledged by any relay (consumer group `relay` on the outbox
   * stream): first entries another consumer left unacknowledged for longer than the store's
   * `outboxClaimIdleMs` (reclaimed for `consumer`), else new ones. `blockMs` 0 returns at once;
   * a blocking read holds the connection, so relays should pass a store on a connection of their
   * own, and `blockMs` must stay below that connection's command timeout.
   */
  readOutbox(consumer: string, count: number, blockMs: number): Promise<PendingLifecycleEvent[]>;
  /** Acknowledges and deletes published outbox entries. */
  ackOutbox(outboxIds: string[]): Promise<void>;
}

/** The whole keystore, for code that wires it (the Redis store, a service's composition root). */
export interface KeyStore extends KeyRecords, AuditLog, TriggerPolicies, LifecycleOutbox {}
