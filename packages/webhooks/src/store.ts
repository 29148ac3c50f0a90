import { randomBytes } from 'node:crypto';
import { defineScript, integerReply, type Redis } from '@keywatch/redis';
import type { SecretBox } from './secrets.js';

export type WebhookKind = 'json' | 'slack';
export type Severity = 'low' | 'medium' | 'high' | 'critical';
export const SEVERITY_ORDER: readonly Severity[] = ['low', 'medium', 'high', 'critical'];

/**
 * A destination as the API shows it (never a secret). A tenant's destination (`tenant_id` set)
 * receives that tenant's alerts only. A platform destination (`tenant_id: null`, created by the
 * root key) receives the alerts without a tenant (docs/contracts.md#alert: unknown keys, e.g.
 * credential stuffing) and, when `all_tenants`, every tenant's alerts too.
 */
export interface Webhook {
  id: string;
  /** Null for a platform destination. */
  tenant_id: string | null;
  /** Platform destinations only (absent on a tenant's): also every tenant's alerts. */
  all_tenants?: boolean;
  url: string;
  kind: WebhookKind;
  /** Alerts below this severity are not sent here. Default `low` (everything). */
  min_severity: Severity;
  /** Alert types sent here; empty = every type. */
  types: string[];
  created_at: string;
  updated_at: string;
}

/** One signing secret, sealed; `expires_at` null for the current one, set for a rotated-out one. */
interface StoredSecret {
  sealed: string;
  created_at: string;
  expires_at: string | null;
}

interface StoredWebhook extends Webhook {
  secrets: StoredSecret[];
}

export interface NewWebhook {
  /** Null: a platform destination. */
  tenant_id: string | null;
  /** Platform destinations only: also every tenant's alerts (default true). Ignored for a tenant's. */
  all_tenants?: boolean;
  url: string;
  kind: WebhookKind;
  min_severity?: Severity;
  types?: string[];
}

/**
 * Destinations in Redis under the hash tag `{wh}` (one Cluster slot; destinations are few); the
 * key layout is in services/notifier/README.md. Writes are MULTI transactions; a rotation is a
 * compare-and-set script over the record.
 */
export interface WebhookStore {
  create(input: NewWebhook, secret: string, now?: Date): Promise<Webhook>;
  get(id: string): Promise<Webhook | null>;
  /**
   * A tenant's destinations, oldest first; when `tenantId` is undefined every destination: each
   * tenant's, then the platform's.
   */
  list(tenantId?: string): Promise<Webhook[]>;
  /** The platform destinations (no tenant), oldest first. */
  listPlatform(): Promise<Webhook[]>;
  /** False when there was no such destination. */
  delete(id: string): Promise<boolean>;
  /**
   * Makes `secret` the current one; the older secrets stay valid for `graceSeconds` at most
   * (0 = retired now). Null when there is no such destination.
   */
  rotate(id: string, secret: string, graceSeconds: number, now?: Date): Promise<Webhook | null>;
  /** The secrets that sign right now, newest first (opened); empty when the destination is gone. */
  signingSecrets(id: string, now?: Date): Promise<string[]>;
}

export const webhookLayout = {
  hook: (id: string) => `{wh}:hook:${id}`,
  tenant: (tenantId: string) => `{wh}:tenant:${tenantId}`,
  tenants: '{wh}:tenants',
  platform: '{wh}:platform',
} as const;

/**
 * The tenant rule of routing, in one place (the router and, again before sending, the worker): a
 * tenant's destination takes that tenant's alerts only; a platform destination takes the alerts
 * without a tenant, and every tenant's when its `all_tenants` is true.
 */
export function receivesAlertsOf(
  webhook: Pick<Webhook, 'tenant_id' | 'all_tenants'>,
  alertTenantId: string | null,
): boolean {
  if (webhook.tenant_id === null) return alertTenantId === null || webhook.all_tenants === true;
  return webhook.tenant_id === alertTenantId;
}

const COMPARE_AND_SET = defineScript<[key: string], [expected: string, next: string], number>({
  name: 'webhooksCompareAndSet',
  file: new URL('./compare-and-set.lua', import.meta.url),
  reply: integerReply,
});

/** `wh_` and 20 url-safe characters. */
export const newWebhookId = () => `wh_${randomBytes(15).toString('base64url')}`;

function publicView(stored: StoredWebhook): Webhook {
  const { secrets: _secrets, ...rest } = stored;
  return rest;
}

/** The Redis webhook store; `redis` carries the deployment's key prefix. */
export function createWebhookStore(options: { redis: Redis; box: SecretBox }): WebhookStore {
  const { redis, box } = options;
  const compareAndSet = COMPARE_AND_SET.on(redis);

  async function load(id: string): Promise<StoredWebhook | null> {
    const text = await redis.get(webhookLayout.hook(id));
    return text === null ? null : (JSON.parse(text) as StoredWebhook);
  }

  async function listIndex(index: string): Promise<Webhook[]> {
    const ids = await redis.zrange(index, 0, -1);
    if (ids.length === 0) return [];
    const texts = await redis.mget(ids.map((id) => webhookLayout.hook(id)));
    return texts.flatMap((text) => (text ? [publicView(JSON.parse(text) as StoredWebhook)] : []));
  }
  const indexOf = (stored: Pick<Webhook, 'tenant_id'>) =>
    stored.tenant_id === null ? webhookLayout.platform : webhookLayout.tenant(stored.tenant_id);

  return {
    async create(input, secret, now = new Date()) {
      const id = newWebhookId();
      const at = now.toISOString();
      const stored: StoredWebhook = {
        id,
        tenant_id: input.tenant_id,
        ...(input.tenant_id === null ? { all_tenants: input.all_tenants ?? true } : {}),
        url: input.url,
        kind: input.kind,
        min_severity: input.min_severity ?? 'low',
        types: input.types ?? [],
        created_at: at,
        updated_at: at,
        secrets: [{ sealed: box.seal(secret, id), created_at: at, expires_at: null }],
      };
      const tx = redis.multi().set(webhookLayout.hook(id), JSON.stringify(stored));
      if (input.tenant_id === null) tx.zadd(webhookLayout.platform, now.getTime(), id);
      else
        tx.zadd(webhookLayout.tenant(input.tenant_id), now.getTime(), id).sadd(webhookLayout.tenants, input.tenant_id);
      await tx.exec();
      return publicView(stored);
    },
    async get(id) {
      const stored = await load(id);
      return stored && publicView(stored);
    },
    async list(tenantId) {
      if (tenantId !== undefined) return listIndex(webhookLayout.tenant(tenantId));
      const out: Webhook[] = [];
      for (const tenant of (await redis.smembers(webhookLayout.tenants)).sort())
        out.push(...(await listIndex(webhookLayout.tenant(tenant))));
      out.push(...(await listIndex(webhookLayout.platform)));
      return out;
    },
    listPlatform: () => listIndex(webhookLayout.platform),
    async delete(id) {
      const stored = await load(id);
      if (!stored) return false;
      const [[, removed] = [null, 0]] =
        (await redis.multi().del(webhookLayout.hook(id)).zrem(indexOf(stored), id).exec()) ?? [];
      return removed === 1;
    },
    async rotate(id, secret, graceSeconds, now = new Date()) {
      const key = webhookLayout.hook(id);
      for (let attempt = 0; attempt < 10; attempt++) {
        const before = await redis.get(key);
        if (before === null) return null;
        const stored = JSON.parse(before) as StoredWebhook;
        const at = now.toISOString();
        const retireAt = new Date(now.getTime() + graceSeconds * 1000).toISOString();
        const secrets: StoredSecret[] = [
          { sealed: box.seal(secret, id), created_at: at, expires_at: null },
          // Every older secret signs until the grace period ends at the latest (an earlier end stays);
          // so grace 0 leaves the new secret alone.
          ...stored.secrets
            .map((s) => (s.expires_at === null || s.expires_at > retireAt ? { ...s, expires_at: retireAt } : s))
            .filter((s) => s.expires_at !== null && Date.parse(s.expires_at) > now.getTime()),
        ];
        const next: StoredWebhook = { ...stored, secrets, updated_at: at };
        // Compare-and-set: the connection is shared, so WATCH (per connection) would not be safe.
        if ((await compareAndSet([key], [before, JSON.stringify(next)])) === 1) return publicView(next);
      }
      throw new Error(`webhook ${id} changed concurrently ten times; try again`);
    },
    async signingSecrets(id, now = new Date()) {
      const stored = await load(id);
      if (!stored) return [];
      return stored.secrets
        .filter((s) => s.expires_at === null || Date.parse(s.expires_at) > now.getTime())
        .map((s) => box.open(s.sealed, id));
    },
  };
}
