import { AlertType, Severity } from '@keywatch/contracts';
import { ApiError, badRequest, conflict, forbidden, notFound, type RouteSpec } from '@keywatch/http-api';
import type { AuditLog } from '@keywatch/keystore';
import {
  checkDestinationUrl,
  DELIVERY_STATUSES,
  generateWebhookSecret,
  replayDelivery,
  type Delivery,
  type DeliveryLog,
  type DeliveryQueue,
  type Webhook,
  type WebhookStore,
} from '@keywatch/webhooks';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { actorOf, type Caller } from './admin.js';
import { TenantId } from './schemas.js';

// `/v1/webhooks` (docs/contracts.md#key-service): alert destinations per tenant, their signing
// secrets and deliveries; the notifier reads the same Redis records. Platform destinations (root
// key only) have no tenant and are invisible (404) to a tenant's key.

/**
 * The audit log (per tenant in the key store) where changes to platform destinations are recorded:
 * a name no tenant can have (tenant ids allow letters, digits and `_ . : -` only), shown in the
 * root key's `GET /v1/audit`.
 */
export const PLATFORM_AUDIT_TENANT = '(platform)';

const WebhookUrl = z.string().min(1).max(2048);
const Types = z
  .array(AlertType)
  .max(AlertType.options.length)
  .refine((list) => new Set(list).size === list.length, 'must not repeat a type');

/** `POST /v1/webhooks`. */
export const CreateWebhookBody = z.strictObject({
  tenant_id: TenantId.optional(),
  /** `platform` (root key only): no tenant; see {@link WebhookAdmin.create}. Default `tenant`. */
  scope: z.enum(['tenant', 'platform']).default('tenant'),
  /** Platform destinations only: also every tenant's alerts (default true). */
  all_tenants: z.boolean().optional(),
  url: WebhookUrl,
  kind: z.enum(['json', 'slack']),
  min_severity: Severity.optional(),
  types: Types.optional(),
});

/** `POST /v1/webhooks/:id/rotate-secret`: the old secret keeps signing for the grace period (default 24 h, at most 30 days). */
export const RotateSecretBody = z.strictObject({
  grace_period_s: z
    .int()
    .min(0)
    .max(30 * 86_400)
    .default(86_400),
});

export const WebhookIdParam = z.strictObject({
  id: z.string().regex(/^wh_[A-Za-z0-9_-]{20}$/, 'must be a webhook id (wh_…)'),
});
export const DeliveryParams = z.strictObject({
  id: WebhookIdParam.shape.id,
  delivery_id: z.string().regex(/^dlv_[0-9a-f]{32}$/, 'must be a delivery id (dlv_…)'),
});
/** `GET /v1/webhooks`: the root key may ask for one tenant's (`tenant_id`) or the platform's (`scope=platform`). */
export const ListWebhooksQuery = z.strictObject({
  tenant_id: TenantId.optional(),
  scope: z.enum(['tenant', 'platform']).optional(),
});
export const ListDeliveriesQuery = z.strictObject({
  status: z.enum(DELIVERY_STATUSES as [Delivery['status'], ...Delivery['status'][]]).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export interface WebhookAdminOptions {
  /** Null when `KEYWATCH_SECRETS_KEY` is not set: every webhook call then answers 422 naming it. */
  store: WebhookStore | null;
  deliveries: DeliveryLog;
  /** The notifier's delivery queue (for replays). */
  queue: DeliveryQueue | null;
  keys: Pick<AuditLog, 'recordAudit'>;
  /** `KEYWATCH_WEBHOOK_ALLOW_PRIVATE`. */
  allowPrivate: boolean;
}

/** The origin of a destination URL: what audit entries show (Slack-style URLs carry a secret in the path). */
const originOf = (url: string) => URL.parse(url)?.origin ?? '(invalid)';

/** The rules of `/v1/webhooks`, HTTP-free like {@link KeyAdmin}. */
export class WebhookAdmin {
  constructor(private readonly options: WebhookAdminOptions) {}

  private get store(): WebhookStore {
    if (!this.options.store) {
      throw new ApiError(
        422,
        'not_configured',
        'webhook destinations need the deployment secret KEYWATCH_SECRETS_KEY (32+ characters, e.g. `openssl rand -hex 32`) on the key service and the notifier',
      );
    }
    return this.options.store;
  }

  private tenantFor(caller: Caller, requested: string | undefined): string {
    if (caller.kind === 'root') {
      if (!requested)
        throw badRequest(
          'the root key must say which tenant (tenant_id), or create a platform destination ("scope": "platform")',
          'tenant_id',
        );
      return requested;
    }
    if (requested !== undefined && requested !== caller.key.tenant_id)
      throw forbidden('tenant_forbidden', `this key manages tenant ${caller.key.tenant_id} only`, 'tenant_id');
    return caller.key.tenant_id;
  }

  /**
   * Null (a platform destination) or the tenant of a new destination. Only the root key creates
   * platform destinations; a tenant's key asking for one is refused (403 naming `scope`).
   */
  private ownerOfNew(caller: Caller, body: z.infer<typeof CreateWebhookBody>): string | null {
    if (body.scope === 'tenant') {
      if (body.all_tenants !== undefined)
        throw badRequest('all_tenants applies to platform destinations ("scope": "platform") only', 'all_tenants');
      return this.tenantFor(caller, body.tenant_id);
    }
    if (caller.kind !== 'root')
      throw forbidden('platform_forbidden', 'only the platform root key manages platform destinations', 'scope');
    if (body.tenant_id !== undefined)
      throw badRequest('a platform destination has no tenant: leave tenant_id out', 'tenant_id');
    return null;
  }

  /**
   * A destination the caller may manage; another tenant's, and a platform destination for a
   * tenant's key, are reported as missing (their existence is not revealed).
   */
  private async owned(caller: Caller, id: string): Promise<Webhook> {
    const webhook = await this.store.get(id);
    if (!webhook || (caller.kind === 'key' && webhook.tenant_id !== caller.key.tenant_id))
      throw notFound(`webhook ${id}`);
    return webhook;
  }

  private async audit(
    caller: Caller,
    webhook: Webhook,
    action: string,
    details: Record<string, unknown> = {},
  ): Promise<void> {
    await this.options.keys.recordAudit({
      tenant_id: webhook.tenant_id ?? PLATFORM_AUDIT_TENANT,
      key_id: null,
      actor: actorOf(caller),
      action,
      reason: null,
      details: {
        webhook_id: webhook.id,
        url_origin: originOf(webhook.url),
        kind: webhook.kind,
        min_severity: webhook.min_severity,
        types: webhook.types,
        ...(webhook.tenant_id === null ? { all_tenants: webhook.all_tenants === true } : {}),
        ...details,
      },
    });
  }

  /**
   * A tenant's destination, or with `"scope": "platform"` (root key only, no `tenant_id`) a
   * platform destination: the alerts without a tenant, plus every tenant's unless
   * `"all_tenants": false`. Same routing (`min_severity`, `types`), signing and SSRF rules.
   */
  async create(caller: Caller, body: z.infer<typeof CreateWebhookBody>): Promise<{ webhook: Webhook; secret: string }> {
    const tenant = this.ownerOfNew(caller, body);
    const store = this.store;
    const check = await checkDestinationUrl(body.url, { allowPrivate: this.options.allowPrivate });
    if (!check.ok) throw new ApiError(check.reason === 'invalid_url' ? 400 : 422, check.reason, check.message, 'url');
    const secret = generateWebhookSecret();
    const webhook = await store.create(
      {
        tenant_id: tenant,
        all_tenants: body.all_tenants,
        url: check.url.href,
        kind: body.kind,
        min_severity: body.min_severity,
        types: body.types,
      },
      secret,
    );
    await this.audit(caller, webhook, 'webhook_created');
    return { webhook, secret };
  }

  /**
   * A tenant's key: its tenant's destinations (`scope=platform` is refused). The root key: every
   * destination (each tenant's, then the platform's), one tenant's (`tenant_id`), every tenant's
   * (`scope=tenant`) or the platform's (`scope=platform`).
   */
  async list(caller: Caller, query: z.infer<typeof ListWebhooksQuery>): Promise<Webhook[]> {
    if (query.scope === 'platform') {
      if (caller.kind !== 'root')
        throw forbidden('platform_forbidden', 'only the platform root key manages platform destinations', 'scope');
      if (query.tenant_id !== undefined)
        throw badRequest('platform destinations have no tenant: leave tenant_id out', 'tenant_id');
      return this.store.listPlatform();
    }
    if (caller.kind === 'key') return this.store.list(this.tenantFor(caller, query.tenant_id));
    if (query.tenant_id !== undefined) return this.store.list(query.tenant_id);
    const all = await this.store.list();
    return query.scope === 'tenant' ? all.filter((w) => w.tenant_id !== null) : all;
  }

  async delete(caller: Caller, id: string): Promise<void> {
    const webhook = await this.owned(caller, id);
    if (!(await this.store.delete(id))) throw notFound(`webhook ${id}`);
    await this.audit(caller, webhook, 'webhook_deleted');
  }

  async rotateSecret(caller: Caller, id: string, graceSeconds: number): Promise<{ webhook: Webhook; secret: string }> {
    await this.owned(caller, id);
    const secret = generateWebhookSecret();
    const webhook = await this.store.rotate(id, secret, graceSeconds);
    if (!webhook) throw notFound(`webhook ${id}`);
    await this.audit(caller, webhook, 'webhook_secret_rotated', { grace_period_s: graceSeconds });
    return { webhook, secret };
  }

  async deliveries(caller: Caller, id: string, query: z.infer<typeof ListDeliveriesQuery>): Promise<Delivery[]> {
    await this.owned(caller, id);
    return this.options.deliveries.list(id, { status: query.status, limit: query.limit });
  }

  async replay(caller: Caller, id: string, deliveryId: string): Promise<Delivery> {
    const webhook = await this.owned(caller, id);
    const delivery = await this.options.deliveries.get(deliveryId);
    if (!delivery || delivery.webhook_id !== id) throw notFound(`delivery ${deliveryId}`);
    if (!this.options.queue) throw new ApiError(422, 'not_configured', 'the delivery queue is not configured');
    const outcome = await replayDelivery({ queue: this.options.queue, log: this.options.deliveries, deliveryId });
    if (!outcome.ok)
      throw outcome.reason === 'not_found'
        ? notFound(`delivery ${deliveryId}`)
        : conflict(outcome.reason, outcome.message);
    await this.audit(caller, webhook, 'webhook_delivery_replayed', {
      delivery_id: deliveryId,
      alert_id: delivery.alert_id,
    });
    return outcome.delivery;
  }
}

type Route = (
  spec: RouteSpec,
  handler: (request: FastifyRequest, caller: Caller) => Promise<{ status?: number; body: unknown }>,
) => void;
type Parse = <S extends z.ZodType>(schema: S, input: unknown) => z.output<S>;

/** Registers `/v1/webhooks…` on the key service's router (scope `webhooks:manage`). */
export function registerWebhookRoutes(route: Route, parse: Parse, admin: WebhookAdmin): void {
  const scope = 'webhooks:manage';
  route(
    {
      method: 'POST',
      url: '/v1/webhooks',
      scope,
      summary:
        'Add an alert destination (the root key: a tenant\'s, or "scope": "platform"); its signing secret is in this response only',
      body: CreateWebhookBody,
      status: 201,
    },
    async (req, caller) => ({
      status: 201,
      body: await admin.create(caller, parse(CreateWebhookBody, req.body)),
    }),
  );
  route(
    {
      method: 'GET',
      url: '/v1/webhooks',
      scope,
      summary: 'List alert destinations (no secrets)',
      query: ListWebhooksQuery,
    },
    async (req, caller) => ({
      body: { webhooks: await admin.list(caller, parse(ListWebhooksQuery, req.query)) },
    }),
  );
  route(
    {
      method: 'DELETE',
      url: '/v1/webhooks/:id',
      scope,
      summary: 'Remove an alert destination',
      params: WebhookIdParam,
      status: 204,
    },
    async (req, caller) => {
      await admin.delete(caller, parse(WebhookIdParam, req.params).id);
      return { status: 204, body: undefined };
    },
  );
  route(
    {
      method: 'POST',
      url: '/v1/webhooks/:id/rotate-secret',
      scope,
      summary: 'New signing secret (shown once); the old one keeps signing for grace_period_s',
      params: WebhookIdParam,
      body: RotateSecretBody,
      status: 201,
    },
    async (req, caller) => ({
      status: 201,
      body: await admin.rotateSecret(
        caller,
        parse(WebhookIdParam, req.params).id,
        parse(RotateSecretBody, req.body).grace_period_s,
      ),
    }),
  );
  route(
    {
      method: 'GET',
      url: '/v1/webhooks/:id/deliveries',
      scope,
      summary: "A destination's deliveries, newest first; status=failed lists the dead letters",
      params: WebhookIdParam,
      query: ListDeliveriesQuery,
    },
    async (req, caller) => ({
      body: {
        deliveries: await admin.deliveries(
          caller,
          parse(WebhookIdParam, req.params).id,
          parse(ListDeliveriesQuery, req.query),
        ),
      },
    }),
  );
  route(
    {
      method: 'POST',
      url: '/v1/webhooks/:id/deliveries/:delivery_id/replay',
      scope,
      summary: 'Send a dead-lettered delivery again (full retry schedule)',
      params: DeliveryParams,
    },
    async (req, caller) => {
      const params = parse(DeliveryParams, req.params);
      return { body: { delivery: await admin.replay(caller, params.id, params.delivery_id) } };
    },
  );
}
