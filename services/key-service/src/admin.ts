import {
  DEFAULT_SECRET_SCOPES,
  generateKey,
  hashKey,
  isPublicScope,
  keyDisplay,
  newKeyId,
  PUBLIC_SCOPES,
  SCOPE_GROUPS,
  type Scope,
} from '@keywatch/contracts';
import {
  effectiveState,
  KeyStoreError,
  type AuditEntry,
  type AuditLog,
  type KeyRecord,
  type KeyRecords,
  type Transition,
  type TriggerPolicies,
  type TriggerPolicy,
} from '@keywatch/keystore';
import type { z } from 'zod';
import { badRequest, conflict, forbidden, notFound } from '@keywatch/http-api';
import type { AuditQuery, CreateKeyBody, ListKeysQuery, PatchKeyBody, PolicyBody } from './schemas.js';

/** Who is calling the admin API: the platform root key, or a tenant's admin key. */
export type Caller = { kind: 'root' } | { kind: 'key'; key: KeyRecord };

/** A key record as the API shows it: the effective state, never the hash or the secret. */
export type PublicKey = Omit<KeyRecord, 'version'>;

export function actorOf(caller: Caller): string {
  return caller.kind === 'root' ? 'root' : `key:${caller.key.id}`;
}

const ADMIN_SCOPES: readonly string[] = SCOPE_GROUPS.admin;

/**
 * The key lifecycle rules of the admin API, over the key store: tenant boundaries, scope rules,
 * the secret shown once. HTTP-free so that the rules read in one place.
 */
export class KeyAdmin {
  constructor(
    private readonly store: KeyRecords & AuditLog & TriggerPolicies,
    private readonly options: { pepper?: string; now?: () => Date } = {},
  ) {}

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  view(record: KeyRecord): PublicKey {
    const { version: _version, ...rest } = record;
    return { ...rest, state: effectiveState(record, this.now()) };
  }

  /** The tenant a call acts on: the root key must name one; a tenant's key acts on its own only. */
  tenantFor(caller: Caller, requested: string | undefined, field = 'tenant_id'): string {
    if (caller.kind === 'root') {
      if (!requested) throw badRequest('the root key must say which tenant (tenant_id)', field);
      return requested;
    }
    if (requested !== undefined && requested !== caller.key.tenant_id) {
      throw forbidden('tenant_forbidden', `this key manages tenant ${caller.key.tenant_id} only`, field);
    }
    return caller.key.tenant_id;
  }

  /** A key the caller may manage; another tenant's key is reported as missing, not forbidden. */
  async owned(caller: Caller, id: string): Promise<KeyRecord> {
    const record = await this.store.getById(id);
    if (!record || (caller.kind === 'key' && record.tenant_id !== caller.key.tenant_id)) throw notFound(`key ${id}`);
    return record;
  }

  /**
   * A key the caller may change: its own tenant's, and holding no admin scope the caller lacks —
   * otherwise rotating or reactivating it would hand the caller powers it does not have.
   */
  private async changeable(caller: Caller, id: string): Promise<KeyRecord> {
    const record = await this.owned(caller, id);
    this.checkScopes(caller, record.type, record.scopes);
    return record;
  }

  /**
   * Scope rules: publishable keys hold public scopes only; secret keys default to read + write;
   * admin scopes only when named, and a tenant's key can grant an admin scope only if it holds it.
   */
  private checkScopes(caller: Caller, type: KeyRecord['type'], scopes: Scope[]): void {
    if (type === 'publishable') {
      const bad = scopes.find((s) => !isPublicScope(s));
      if (bad)
        throw badRequest(
          `scope ${bad} is not public; publishable keys may hold only ${PUBLIC_SCOPES.join(', ')}`,
          'scopes',
        );
    }
    if (caller.kind === 'key') {
      const escalation = scopes.find((s) => ADMIN_SCOPES.includes(s) && !caller.key.scopes.includes(s));
      if (escalation)
        throw forbidden('scope_escalation', `this key cannot grant ${escalation}, which it does not hold`, 'scopes');
    }
  }

  async create(caller: Caller, body: CreateKeyBody): Promise<{ key: PublicKey; secret: string }> {
    const tenant = this.tenantFor(caller, body.tenant_id);
    const scopes = body.scopes ?? (body.type === 'publishable' ? [...PUBLIC_SCOPES] : [...DEFAULT_SECRET_SCOPES]);
    this.checkScopes(caller, body.type, scopes);
    if (body.expires_at && Date.parse(body.expires_at) <= this.now().getTime())
      throw badRequest('must be in the future', 'expires_at');
    const secret = generateKey({ type: body.type, environment: body.environment });
    const record = await this.store.create(
      {
        id: newKeyId(),
        hash: hashKey(secret, this.options.pepper),
        tenant_id: tenant,
        environment: body.environment,
        type: body.type,
        name: body.name,
        scopes,
        ...keyDisplay(secret),
        expires_at: body.expires_at ? new Date(body.expires_at).toISOString() : null,
        allowed_ips: body.allowed_ips ?? [],
        allowed_origins: body.allowed_origins ?? [],
        rate_limit: body.rate_limit ?? null,
      },
      actorOf(caller),
    );
    return { key: this.view(record), secret };
  }

  async list(caller: Caller, query: z.infer<typeof ListKeysQuery>): Promise<PublicKey[]> {
    const tenants =
      caller.kind === 'root'
        ? query.tenant_id
          ? [query.tenant_id]
          : await this.store.tenants()
        : [this.tenantFor(caller, query.tenant_id)];
    const out: PublicKey[] = [];
    for (const tenant of tenants) {
      const records = await this.store.list(tenant, {
        environment: query.environment,
        state: query.status,
        limit: query.limit - out.length,
      });
      out.push(...records.map((record) => this.view(record)));
      if (out.length >= query.limit) break;
    }
    return out;
  }

  async get(caller: Caller, id: string): Promise<PublicKey> {
    return this.view(await this.owned(caller, id));
  }

  async patch(caller: Caller, id: string, body: PatchKeyBody): Promise<PublicKey> {
    const record = await this.changeable(caller, id);
    if (body.scopes) this.checkScopes(caller, record.type, body.scopes);
    return this.view(await this.mapStoreErrors(() => this.store.update(id, body, actorOf(caller))));
  }

  async rotate(
    caller: Caller,
    id: string,
    graceSeconds: number,
  ): Promise<{ key: PublicKey; secret: string; previous: { id: string; expires_at: string | null } }> {
    const record = await this.changeable(caller, id);
    const secret = generateKey({ type: record.type, environment: record.environment });
    const { previous, next } = await this.mapStoreErrors(() =>
      this.store.rotate(
        id,
        { id: newKeyId(), hash: hashKey(secret, this.options.pepper), ...keyDisplay(secret) },
        graceSeconds,
        actorOf(caller),
        this.now(),
      ),
    );
    return { key: this.view(next), secret, previous: { id: previous.id, expires_at: previous.expires_at } };
  }

  async transition(caller: Caller, id: string, transition: Transition, reason: string | null): Promise<PublicKey> {
    // Revoking or deactivating a stronger key is allowed (it only removes power); bringing one back is not.
    if (transition === 'reactivate') await this.changeable(caller, id);
    else await this.owned(caller, id);
    return this.view(
      await this.mapStoreErrors(() => this.store.transition(id, transition, actorOf(caller), reason, this.now())),
    );
  }

  async audit(caller: Caller, query: z.infer<typeof AuditQuery>): Promise<AuditEntry[]> {
    const from = query.from ? new Date(query.from) : undefined;
    const to = query.to ? new Date(query.to) : undefined;
    if (from && to && from > to) throw badRequest('must not be after to', 'from');
    const tenants =
      caller.kind === 'root'
        ? query.tenant_id
          ? [query.tenant_id]
          : await this.store.tenants()
        : [this.tenantFor(caller, query.tenant_id)];
    // The newest `limit` entries of the range (per tenant, then merged), shown oldest first.
    const entries: AuditEntry[] = [];
    for (const tenant of tenants)
      entries.push(
        ...(await this.store.audit(tenant, { keyId: query.key_id, from, to, limit: query.limit, order: 'desc' })),
      );
    return entries
      .sort((a, b) => a.ts.localeCompare(b.ts) || a.id.localeCompare(b.id, 'en', { numeric: true }))
      .slice(-query.limit);
  }

  async policy(caller: Caller, tenantId: string | undefined): Promise<TriggerPolicy & { tenant_id: string }> {
    const tenant = this.tenantFor(caller, tenantId);
    return { tenant_id: tenant, ...(await this.store.getPolicy(tenant)) };
  }

  async setPolicy(caller: Caller, body: z.infer<typeof PolicyBody>): Promise<TriggerPolicy & { tenant_id: string }> {
    const tenant = this.tenantFor(caller, body.tenant_id);
    const { tenant_id: _ignored, ...policy } = body;
    return { tenant_id: tenant, ...(await this.store.setPolicy(tenant, policy, actorOf(caller))) };
  }

  /** The store's refusals become 404/409 answers that name what was wrong. */
  private async mapStoreErrors<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof KeyStoreError)) throw error;
      if (error.code === 'not_found') throw notFound('key');
      if (error.code === 'invalid_argument') throw badRequest(error.message);
      if (error.code === 'corrupt_record') throw error; // a server fault, logged as such
      throw conflict(error.code, error.message);
    }
  }
}
