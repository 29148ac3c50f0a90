import {
  decodeJson,
  EventTime,
  formatIssues,
  KeyLifecycleEvent,
  newEventId,
  NonEmptyString,
  toEventTime,
  validate,
} from '@keywatch/contracts';
import type { Redis } from '@keywatch/redis';
import { z } from 'zod';
import { KeyStoreError, scriptRefusal } from './errors.js';
import { layout, OUTBOX_GROUP, TAG } from './layout.js';
import {
  checkInput,
  decodeRecord,
  encodePatchField,
  encodeRecord,
  KeyPatchSchema,
  NewKeySchema,
  pairsToObject,
  recordFoundByHash,
  SuccessorSchema,
  toMillis,
  TriggerPolicySchema,
  type StoredRecord,
} from './record.js';
import {
  BY_HASH,
  CREATE,
  ENSURE_GROUP,
  RECORD_AUDIT,
  ROTATE,
  SET_POLICY,
  TAKE_ACTION,
  TOUCH,
  TRANSITION,
  UPDATE,
} from './scripts.js';
import { effectiveState, TRANSITIONS } from './state.js';
import type {
  Actor,
  AuditEntry,
  AuditFilter,
  KeyPatch,
  KeyRecord,
  KeyStore,
  ListFilter,
  NewKey,
  PendingLifecycleEvent,
  Transition,
  TriggerPolicy,
} from './types.js';

/** Options of {@link createKeyStore}. */
export interface KeyStoreOptions {
  /**
   * The connection (e.g. from `createRedis`). Its key prefix is honoured, and must not contain a
   * hash tag of its own (`{…}`) unless every Keywatch key shares it. The store registers its Lua
   * scripts on it (`defineCommand`: loaded once, then EVALSHA).
   */
  redis: Redis;
  /** "Now" for calls that do not pass one. Default: `() => new Date()`. */
  clock?: () => Date;
  /**
   * How long an outbox entry may sit delivered but unacknowledged (its relay died) before
   * `readOutbox` hands it to another consumer. Default 30 000 ms.
   */
  outboxClaimIdleMs?: number;
}

/** The policy of a tenant that never set one. */
export const DEFAULT_TRIGGER_POLICY: Readonly<TriggerPolicy> = {
  mode: 'notify_only',
  allow_live_revoke: false,
  max_actions_per_hour: 10,
};

const TRIGGER_TTL_S = 30 * 24 * 3600;
// An hour's counter outlives its hour so a late action near the boundary still finds it.
const ACTION_BUCKET_TTL_S = 2 * 3600;
const PAGE = 200;
const DEFAULT_AUDIT_LIMIT = 1000;

/**
 * The Redis keystore: the system of record for keys, their audit log and the lifecycle outbox.
 * Each mutation is one atomic Lua script; layout and required Redis settings are in the README.
 */
export function createKeyStore(options: KeyStoreOptions): KeyStore {
  return new RedisKeyStore(options);
}

const AuditFields = z.object({
  ts: EventTime,
  actor: NonEmptyString,
  action: NonEmptyString,
  key_id: z.string().optional(),
  reason: z.string().optional(),
  details: z.string().transform((text, ctx) => {
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
        return parsed as Record<string, unknown>;
    } catch {
      // reported below
    }
    ctx.addIssue({ code: 'custom', message: 'must be a JSON object' });
    return z.NEVER;
  }),
});

const StoredPolicy = z.object({
  mode: z.enum(['notify_only', 'suspend', 'revoke']),
  allow_live_revoke: z.enum(['true', 'false']).transform((text) => text === 'true'),
  max_actions_per_hour: z
    .string()
    .regex(/^\d{1,9}$/, 'must be a non-negative integer')
    .transform(Number),
});

const NewAuditEntry = z.strictObject({
  tenant_id: NonEmptyString,
  key_id: z.string().min(1).nullable(),
  actor: NonEmptyString,
  action: NonEmptyString,
  reason: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
});

class RedisKeyStore implements KeyStore {
  private readonly redis: Redis;
  private readonly clock: () => Date;
  private readonly claimIdleMs: number;
  /** The client prefix plus `{ks}:`: what the scripts build derived key names from. */
  private readonly base: string;
  private readonly scripts: ReturnType<typeof bindScripts>;
  private group: Promise<void> | undefined;
  private claimCursor = '0-0';

  constructor(options: KeyStoreOptions) {
    this.redis = options.redis;
    this.clock = options.clock ?? (() => new Date());
    this.claimIdleMs = options.outboxClaimIdleMs ?? 30_000;
    this.base = `${options.redis.options.keyPrefix ?? ''}${TAG}:`;
    this.scripts = bindScripts(options.redis);
  }

  async create(key: NewKey, actor: Actor, now?: Date): Promise<KeyRecord> {
    const input = checkInput(NewKeySchema, key, 'key');
    checkActor(actor);
    const at = this.at(now);
    const ts = toEventTime(at);
    const expiresMs = input.expires_at === null ? null : toMillis(input.expires_at);
    const record: KeyRecord = {
      id: input.id,
      tenant_id: input.tenant_id,
      environment: input.environment,
      type: input.type,
      name: input.name,
      scopes: input.scopes,
      state: 'active',
      state_reason: null,
      prefix: input.prefix,
      last4: input.last4,
      created_at: ts,
      created_by: actor,
      updated_at: ts,
      expires_at: expiresMs === null ? null : toEventTime(expiresMs),
      rotated_from: null,
      rotated_to: null,
      allowed_ips: input.allowed_ips,
      allowed_origins: input.allowed_origins,
      rate_limit: input.rate_limit,
      last_used_at: null,
      version: 1,
    };
    const details = {
      name: record.name,
      type: record.type,
      environment: record.environment,
      scopes: record.scopes,
      prefix: record.prefix,
      last4: record.last4,
      expires_at: record.expires_at,
      allowed_ips: record.allowed_ips,
      allowed_origins: record.allowed_origins,
      rate_limit: record.rate_limit,
    };
    const fields = Object.entries(encodeRecord({ record, hash: input.hash })).flat();
    const reply = await this.scripts.create(
      [layout.record(record.id)],
      [
        this.base,
        record.id,
        input.hash,
        record.tenant_id,
        at.getTime(),
        ts,
        newEventId(at.getTime()),
        actor,
        expiresMs ?? '',
        JSON.stringify(details),
        ...fields,
      ],
    );
    const [stored] = ok(reply, 1);
    return decode(stored, record.id).record;
  }

  async getById(id: string): Promise<KeyRecord | null> {
    const raw = await this.redis.hgetall(layout.record(id));
    return Object.keys(raw).length === 0 ? null : decodeRecord(raw, id).record;
  }

  async getByHash(hash: string): Promise<KeyRecord | null> {
    const reply = await this.scripts.byHash([layout.hash(hash)], [this.base]);
    if (reply === null) return null;
    if (!Array.isArray(reply) || typeof reply[0] !== 'string')
      throw new KeyStoreError('corrupt_record', 'unexpected reply to a lookup by hash');
    return recordFoundByHash(reply[0], reply[1], hash);
  }

  async getManyByHash(hashes: readonly string[]): Promise<Array<KeyRecord | null>> {
    if (hashes.length === 0) return [];
    // defineCommand also puts the script on pipelines: one round trip, EVALSHA per hash.
    const pipeline = this.redis.pipeline();
    const byHash: unknown = Reflect.get(pipeline, BY_HASH.name);
    if (typeof byHash !== 'function') throw new Error(`the script ${BY_HASH.name} is not registered on this client`);
    for (const hash of hashes)
      (byHash as (...args: Array<string | number>) => unknown).call(pipeline, 1, layout.hash(hash), this.base);
    const results = (await pipeline.exec()) ?? [];
    return hashes.map((hash, i) => {
      const [error, reply] = results[i] ?? [new Error('no reply for a lookup by hash'), null];
      if (error) throw error;
      if (reply === null) return null;
      if (!Array.isArray(reply) || typeof reply[0] !== 'string')
        throw new KeyStoreError('corrupt_record', 'unexpected reply to a lookup by hash');
      return recordFoundByHash(reply[0], reply[1], hash);
    });
  }

  async list(tenantId: string, filter: ListFilter = {}): Promise<KeyRecord[]> {
    const limit = filter.limit ?? Number.POSITIVE_INFINITY;
    const now = this.clock();
    const seen = new Set<string>();
    const out: KeyRecord[] = [];
    // Pages by rank, newest first; a key created meanwhile shifts ranks down, so ids may repeat
    // across pages (skipped) but none is missed.
    for (let start = 0; out.length < limit; start += PAGE) {
      const page = await this.redis.zrevrange(layout.tenant(tenantId), start, start + PAGE - 1);
      const ids = page.filter((id) => !seen.has(id));
      const pipeline = this.redis.pipeline();
      for (const id of ids) pipeline.hgetall(layout.record(id));
      const results = ids.length > 0 ? ((await pipeline.exec()) ?? []) : [];
      ids.forEach((id, i) => {
        seen.add(id);
        const [error, raw] = results[i] ?? [new Error(`no reply for key ${id}`), null];
        if (error) throw error;
        const fields = raw as Record<string, string>;
        if (Object.keys(fields).length === 0)
          throw new KeyStoreError('corrupt_record', `tenant ${tenantId} lists key ${id}, which does not exist`, {
            key: id,
            field: 'id',
          });
        const { record } = decodeRecord(fields, id);
        if (filter.environment !== undefined && record.environment !== filter.environment) return;
        if (filter.state !== undefined && effectiveState(record, now) !== filter.state) return;
        if (out.length < limit) out.push(record);
      });
      if (page.length < PAGE) break;
    }
    return out;
  }

  async update(id: string, patch: KeyPatch, actor: Actor, now?: Date): Promise<KeyRecord> {
    const input = checkInput(KeyPatchSchema, patch, 'patch');
    checkActor(actor);
    const at = this.at(now);
    const sets: string[] = [];
    const deletes: string[] = [];
    const after: Record<string, unknown> = {};
    for (const field of ['name', 'scopes', 'allowed_ips', 'allowed_origins', 'rate_limit'] as const) {
      if (input[field] === undefined) continue;
      after[field] = input[field];
      const encoded = encodePatchField(field, input[field]);
      if (encoded === null) deletes.push(field);
      else sets.push(field, encoded);
    }
    if (sets.length === 0 && deletes.length === 0) {
      const current = await this.getById(id);
      if (!current) throw scriptRefusal('not_found', { key_id: id });
      return current;
    }
    const reply = await this.scripts.update(
      [layout.record(id)],
      [
        this.base,
        id,
        at.getTime(),
        toEventTime(at),
        newEventId(at.getTime()),
        actor,
        JSON.stringify(after),
        sets.length / 2,
        ...sets,
        ...deletes,
      ],
    );
    const [stored] = ok(reply, 1);
    return decode(stored, id).record;
  }

  async transition(
    id: string,
    transition: Transition,
    actor: Actor,
    reason: string | null,
    now?: Date,
    details: Record<string, unknown> = {},
  ): Promise<KeyRecord> {
    const rule = Object.hasOwn(TRANSITIONS, transition) ? TRANSITIONS[transition] : undefined;
    /* eslint-disable @typescript-eslint/no-unnecessary-type-conversion -- guards JavaScript callers; the transition may not be a string */
    if (!rule)
      throw new KeyStoreError('invalid_argument', `unknown transition "${String(transition)}"`, {
        field: 'transition',
      });
    /* eslint-enable @typescript-eslint/no-unnecessary-type-conversion */
    checkActor(actor);
    checkReason(reason);
    const at = this.at(now);
    const reply = await this.scripts.transition(
      [layout.record(id)],
      [
        this.base,
        id,
        at.getTime(),
        toEventTime(at),
        newEventId(at.getTime()),
        actor,
        JSON.stringify(reason),
        transition,
        rule.to,
        rule.event,
        rule.from.join(','),
        detailsJson(details),
      ],
    );
    const [stored] = ok(reply, 1);
    return decode(stored, id).record;
  }

  async rotate(
    id: string,
    successor: Pick<NewKey, 'id' | 'hash' | 'prefix' | 'last4'>,
    graceSeconds: number,
    actor: Actor,
    now?: Date,
  ): Promise<{ previous: KeyRecord; next: KeyRecord }> {
    const next = checkInput(SuccessorSchema, successor, 'successor');
    if (!Number.isFinite(graceSeconds) || graceSeconds < 0)
      throw new KeyStoreError('invalid_argument', 'grace period must be a number of seconds ≥ 0', {
        field: 'grace_period_s',
      });
    checkActor(actor);
    const at = this.at(now);
    const ms = at.getTime();
    const reply = await this.scripts.rotate(
      [layout.record(id), layout.record(next.id)],
      [
        this.base,
        id,
        next.id,
        next.hash,
        next.prefix,
        next.last4,
        ms,
        toEventTime(at),
        ms + Math.round(graceSeconds * 1000),
        graceSeconds,
        newEventId(ms),
        newEventId(ms),
        actor,
      ],
    );
    const [previous, created] = ok(reply, 2);
    return { previous: decode(previous, id).record, next: decode(created, next.id).record };
  }

  async touch(id: string, at: Date): Promise<void> {
    await this.scripts.touch([layout.record(id)], [this.at(at).getTime()]);
  }

  async audit(tenantId: string, filter: AuditFilter = {}): Promise<AuditEntry[]> {
    const limit = filter.limit ?? DEFAULT_AUDIT_LIMIT;
    const descending = filter.order === 'desc';
    const key = layout.audit(tenantId);
    let low = filter.from ? String(this.at(filter.from).getTime()) : '-';
    let high = filter.to ? String(this.at(filter.to).getTime()) : '+';
    const out: AuditEntry[] = [];
    while (out.length < limit) {
      const page = descending
        ? await this.redis.xrevrange(key, high, low, 'COUNT', PAGE)
        : await this.redis.xrange(key, low, high, 'COUNT', PAGE);
      for (const [id, fields] of page) {
        const entry = decodeAudit(tenantId, id, fields);
        if (filter.keyId !== undefined && entry.key_id !== filter.keyId) continue;
        out.push(entry);
        if (out.length === limit) break;
      }
      const last = page.at(-1);
      if (page.length < PAGE || !last) break;
      // Exclusive bounds (Redis ≥ 6.2) continue after the last entry seen.
      if (descending) high = `(${last[0]}`;
      else low = `(${last[0]}`;
    }
    return out;
  }

  async tenants(): Promise<string[]> {
    return (await this.redis.smembers(layout.tenants)).sort();
  }

  async recordAudit(entry: Omit<AuditEntry, 'id' | 'ts'>, now?: Date): Promise<AuditEntry> {
    const input = checkInput(NewAuditEntry, entry, 'audit entry');
    const at = this.at(now);
    const ts = toEventTime(at);
    const id = await this.scripts.recordAudit(
      [layout.audit(input.tenant_id)],
      [
        this.base,
        input.tenant_id,
        at.getTime(),
        ts,
        input.key_id ?? '',
        input.actor,
        input.action,
        JSON.stringify(input.reason),
        detailsJson(input.details),
      ],
    );
    if (typeof id !== 'string') throw new KeyStoreError('corrupt_record', 'unexpected reply to an audit write');
    return { id, ts, ...input };
  }

  async getPolicy(tenantId: string): Promise<TriggerPolicy> {
    const raw = await this.redis.hgetall(layout.policy(tenantId));
    if (Object.keys(raw).length === 0) return { ...DEFAULT_TRIGGER_POLICY };
    const result = validate(StoredPolicy, raw);
    if (!result.ok)
      throw new KeyStoreError(
        'corrupt_record',
        `corrupt trigger policy of tenant ${tenantId}: ${formatIssues(result.issues)}`,
        { key: tenantId, issues: result.issues },
      );
    return result.value;
  }

  async setPolicy(tenantId: string, policy: TriggerPolicy, actor: Actor, now?: Date): Promise<TriggerPolicy> {
    const input = checkInput(TriggerPolicySchema, policy, 'policy');
    checkTenant(tenantId);
    checkActor(actor);
    const at = this.at(now);
    await this.scripts.setPolicy(
      [layout.policy(tenantId)],
      [
        this.base,
        tenantId,
        at.getTime(),
        toEventTime(at),
        actor,
        input.mode,
        input.allow_live_revoke ? 'true' : 'false',
        input.max_actions_per_hour,
      ],
    );
    return input;
  }

  async takeAutomaticAction(tenantId: string, cap: number, now?: Date): Promise<boolean> {
    if (!Number.isInteger(cap) || cap < 0)
      throw new KeyStoreError('invalid_argument', 'cap must be an integer ≥ 0', { field: 'cap' });
    checkTenant(tenantId);
    const hour = toEventTime(this.at(now)).slice(0, 13).replace(/[-T]/g, '');
    return (await this.scripts.takeAction([layout.actions(tenantId, hour)], [cap, ACTION_BUCKET_TTL_S])) === 1;
  }

  async claimTrigger(triggerId: string): Promise<boolean> {
    checkTrigger(triggerId);
    return (
      (await this.redis.set(layout.trigger(triggerId), toEventTime(this.clock()), 'EX', TRIGGER_TTL_S, 'NX')) === 'OK'
    );
  }

  async isTriggerClaimed(triggerId: string): Promise<boolean> {
    checkTrigger(triggerId);
    return (await this.redis.exists(layout.trigger(triggerId))) === 1;
  }

  async dueExpiries(now: Date, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(layout.expiries, '-inf', this.at(now).getTime(), 'LIMIT', 0, limit);
  }

  async upcomingExpiries(from: Date, to: Date, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(
      layout.expiries,
      `(${String(this.at(from).getTime())}`,
      this.at(to).getTime(),
      'LIMIT',
      0,
      limit,
    );
  }

  async readOutbox(consumer: string, count: number, blockMs: number): Promise<PendingLifecycleEvent[]> {
    if (consumer === '')
      throw new KeyStoreError('invalid_argument', 'consumer must not be empty', { field: 'consumer' });
    const timeout = this.redis.options.commandTimeout;
    if (timeout !== undefined && blockMs >= timeout) {
      throw new KeyStoreError(
        'invalid_argument',
        `blockMs (${blockMs}) must stay below the connection's command timeout (${timeout} ms)`,
        { field: 'blockMs' },
      );
    }
    await this.ensureGroup();
    try {
      return await this.readOutboxOnce(consumer, count, blockMs);
    } catch (error) {
      // The stream (and with it the group) was deleted since: create both again, once.
      if (!(error instanceof Error) || !error.message.includes('NOGROUP')) throw error;
      this.group = undefined;
      await this.ensureGroup();
      return this.readOutboxOnce(consumer, count, blockMs);
    }
  }

  async ackOutbox(outboxIds: string[]): Promise<void> {
    if (outboxIds.length === 0) return;
    // One group reads the outbox, so an acknowledged entry is done with: deleting it keeps the
    // stream as small as the backlog.
    const results = await this.redis
      .multi()
      .xack(layout.outbox, OUTBOX_GROUP, ...outboxIds)
      .xdel(layout.outbox, ...outboxIds)
      .exec();
    const failed = results?.find(([error]) => error);
    if (failed?.[0]) throw failed[0];
  }

  private async readOutboxOnce(consumer: string, count: number, blockMs: number): Promise<PendingLifecycleEvent[]> {
    // This consumer's own unacknowledged entries come first (a send or an ack that failed): reading
    // only new ones would let a later event of the same key (a revocation) overtake them.
    const own = await this.redis.xreadgroup(
      'GROUP',
      OUTBOX_GROUP,
      consumer,
      'COUNT',
      count,
      'STREAMS',
      layout.outbox,
      '0',
    );
    const ownEntries = Array.isArray(own) && Array.isArray(own[0]) ? streamEntries((own[0] as unknown[])[1]) : [];
    if (ownEntries.length > 0) return ownEntries.map(decodeOutboxEntry);
    // Then entries a dead relay left unacknowledged; the cursor walks the pending list across
    // calls so a long backlog is not rescanned from its start every time.
    const claimed = await this.redis.xautoclaim(
      layout.outbox,
      OUTBOX_GROUP,
      consumer,
      this.claimIdleMs,
      this.claimCursor,
      'COUNT',
      count,
    );
    const [cursor, entries] = claimed;
    this.claimCursor = typeof cursor === 'string' ? cursor : '0-0';
    const reclaimed = streamEntries(entries);
    if (reclaimed.length > 0) return reclaimed.map(decodeOutboxEntry);
    const reply =
      blockMs > 0
        ? await this.redis.xreadgroup(
            'GROUP',
            OUTBOX_GROUP,
            consumer,
            'COUNT',
            count,
            'BLOCK',
            blockMs,
            'STREAMS',
            layout.outbox,
            '>',
          )
        : await this.redis.xreadgroup('GROUP', OUTBOX_GROUP, consumer, 'COUNT', count, 'STREAMS', layout.outbox, '>');
    if (!Array.isArray(reply)) return [];
    const stream: unknown = reply[0];
    return Array.isArray(stream) ? streamEntries(stream[1]).map(decodeOutboxEntry) : [];
  }

  private ensureGroup(): Promise<void> {
    this.group ??= this.scripts.ensureGroup([layout.outbox], [OUTBOX_GROUP]).then(
      () => undefined,
      (error: unknown) => {
        this.group = undefined;
        throw error;
      },
    );
    return this.group;
  }

  private at(now: Date | undefined): Date {
    const at = now ?? this.clock();
    if (Number.isNaN(at.getTime()))
      throw new KeyStoreError('invalid_argument', 'now must be a valid date', { field: 'now' });
    return at;
  }
}

/** The keystore's scripts, registered on one client. */
function bindScripts(redis: Redis) {
  return {
    create: CREATE.on(redis),
    transition: TRANSITION.on(redis),
    rotate: ROTATE.on(redis),
    update: UPDATE.on(redis),
    byHash: BY_HASH.on(redis),
    recordAudit: RECORD_AUDIT.on(redis),
    setPolicy: SET_POLICY.on(redis),
    touch: TOUCH.on(redis),
    takeAction: TAKE_ACTION.on(redis),
    ensureGroup: ENSURE_GROUP.on(redis),
  };
}

/** The payload of a script's `{ 'ok', … }` reply, or its refusal thrown as a {@link KeyStoreError}. */
function ok(reply: unknown, parts: number): unknown[] {
  if (Array.isArray(reply) && reply[0] === 'ok' && reply.length === parts + 1) return reply.slice(1);
  if (Array.isArray(reply) && typeof reply[0] === 'string' && typeof reply[1] === 'string') {
    let details: Record<string, unknown> = {};
    try {
      details = JSON.parse(reply[1]) as Record<string, unknown>;
    } catch {
      details = { raw: reply[1] };
    }
    throw scriptRefusal(reply[0], details);
  }
  throw new KeyStoreError('corrupt_record', 'unexpected reply from a keystore script');
}

function decode(flat: unknown, where: string): StoredRecord {
  return decodeRecord(pairsToObject(flat), where);
}

function decodeAudit(tenantId: string, id: string, flat: string[]): AuditEntry {
  const result = validate(AuditFields, pairsToObject(flat));
  if (!result.ok)
    throw new KeyStoreError(
      'corrupt_record',
      `corrupt audit entry ${id} of tenant ${tenantId}: ${formatIssues(result.issues)}`,
      { key: id, issues: result.issues },
    );
  const f = result.value;
  return {
    id,
    ts: f.ts,
    tenant_id: tenantId,
    key_id: f.key_id ?? null,
    actor: f.actor,
    action: f.action,
    reason: f.reason ?? null,
    details: f.details,
  };
}

function streamEntries(value: unknown): Array<[string, string[]]> {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (entry): entry is [string, string[]] =>
      Array.isArray(entry) && typeof entry[0] === 'string' && Array.isArray(entry[1]),
  );
}

function decodeOutboxEntry([outboxId, fields]: [string, string[]]): PendingLifecycleEvent {
  const decoded = decodeJson(KeyLifecycleEvent, pairsToObject(fields).event);
  if (!decoded.ok)
    throw new KeyStoreError('corrupt_record', `corrupt outbox entry ${outboxId}: ${formatIssues(decoded.issues)}`, {
      key: outboxId,
      issues: decoded.issues,
    });
  return { outboxId, event: decoded.value };
}

function detailsJson(details: Record<string, unknown>): string {
  const text = JSON.stringify(details);
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- guards JavaScript callers and decoded JSON
  if (typeof details !== 'object' || details === null || Array.isArray(details) || !text.startsWith('{')) {
    throw new KeyStoreError('invalid_argument', 'details must be a JSON object', { field: 'details' });
  }
  return text;
}

function checkActor(actor: string): void {
  if (typeof actor !== 'string' || actor === '')
    throw new KeyStoreError('invalid_argument', 'actor must not be empty', { field: 'actor' });
}

function checkReason(reason: string | null): void {
  if (reason !== null && typeof reason !== 'string')
    throw new KeyStoreError('invalid_argument', 'reason must be a string or null', { field: 'reason' });
}

function checkTenant(tenantId: string): void {
  if (typeof tenantId !== 'string' || tenantId === '')
    throw new KeyStoreError('invalid_argument', 'tenant_id must not be empty', { field: 'tenant_id' });
}

function checkTrigger(triggerId: string): void {
  if (typeof triggerId !== 'string' || triggerId === '')
    throw new KeyStoreError('invalid_argument', 'trigger_id must not be empty', { field: 'trigger_id' });
}
