import type { ClickHouse } from '@keywatch/clickhouse';
import { newRequestId } from '@keywatch/contracts';
import type { KeyStore } from '@keywatch/keystore';
import type { Logger } from '@keywatch/logger';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { AlertStatusStore, FeedbackStore } from '@keywatch/alerts';
import type { Authenticate, Caller } from './auth.js';
import { ApiError, fastifyOptions, installErrorHandling } from '@keywatch/http-api';
import { buildOpenApi, type RouteSpec } from '@keywatch/http-api';
import { AlertIdParam, AlertNoteBody, AlertsQuery, createAlertFeed } from './alerts.js';
import { KeyIdParam, parse, RangeQuery, seriesRange, TopKeysQuery, totalsRange, UsageQuery } from './params.js';
import { errorBreakdown, featureBreakdown, geoBreakdown, topKeys, usageSeries } from './queries.js';
import { RequestsQuery, searchRequests } from './requests.js';
import {
  ConfirmBody,
  createFeedback,
  DismissBody,
  SuppressionBody,
  SuppressionIdParam,
  TenantQuery,
  ThreatListBody,
  TrustedNetworksBody,
  type TriggerSink,
} from './feedback.js';

export interface AppDependencies {
  clickhouse: ClickHouse;
  store: KeyStore;
  authenticate: Authenticate;
  /** The alerts' status hot copy (`@keywatch/alerts`), written before ClickHouse on ack/resolve. */
  statuses: AlertStatusStore;
  /** Suppression rules and trusted networks (`@keywatch/alerts`), read by the detector. */
  feedback: FeedbackStore;
  /** Where confirm sends its revocation trigger. */
  triggers: TriggerSink;
  logger: Logger;
  now?: () => number;
}

/** The tenant a call reads: the caller's own, or for the root key the `tenant_id` it names. */
function tenantOf(caller: Caller, requested: string | undefined): string {
  if (caller.kind === 'tenant') {
    if (requested !== undefined && requested !== caller.tenantId)
      throw new ApiError(403, 'forbidden', 'a key reads its own tenant only', 'tenant_id');
    return caller.tenantId;
  }
  if (requested === undefined)
    throw new ApiError(400, 'invalid_request', 'the root key must name a tenant_id', 'tenant_id');
  return requested;
}

/** The analytics HTTP API of docs/contracts.md#analytics-api (usage analytics and the alert feed), plus `/openapi.json` and `/healthz`. */
export function buildApp(deps: AppDependencies): FastifyInstance {
  const app = Fastify(
    fastifyOptions({ logger: false, bodyLimit: 1024 * 1024, genReqId: newRequestId, requestIdHeader: false }),
  );
  const log = deps.logger;
  const now = deps.now ?? Date.now;

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  installErrorHandling(app, { logger: log, bodyLimit: 1024 * 1024 });

  /** The key `:id` if the caller may read it; 404 (not 403) otherwise, so other tenants' key ids are not confirmed. */
  async function keyOf(
    request: FastifyRequest,
    caller: Caller,
    requestedTenant: string | undefined,
  ): Promise<{ tenantId: string; keyId: string }> {
    const { id } = parse(KeyIdParam, request.params);
    const key = await deps.store.getById(id);
    const tenantId = caller.kind === 'tenant' ? tenantOf(caller, requestedTenant) : (requestedTenant ?? key?.tenant_id);
    if (!key || key.tenant_id !== tenantId) throw new ApiError(404, 'not_found', 'key not found');
    return { tenantId, keyId: id };
  }

  const routes: RouteSpec[] = [];
  function route(spec: RouteSpec, handler: (request: FastifyRequest, caller: Caller) => Promise<unknown>): void {
    routes.push(spec);
    app.route({
      method: spec.method ?? 'GET',
      url: spec.url,
      handler: async (request, reply) => {
        const caller = await deps.authenticate(request.headers, spec.scope);
        return reply.status(spec.status ?? 200).send(await handler(request, caller));
      },
    });
  }

  route(
    {
      scope: 'analytics:read',
      url: '/v1/analytics/keys/:id/usage',
      summary: 'Usage series of one key: requests, errors, error_rate, rate_limited, p50/p95 latency per bucket',
      params: KeyIdParam,
      query: UsageQuery,
    },
    async (request, caller) => {
      const query = parse(UsageQuery, request.query);
      const range = seriesRange(query, query.interval ?? 'hour', now());
      const { tenantId, keyId } = await keyOf(request, caller, query.tenant_id);
      const points = await usageSeries(deps.clickhouse, tenantId, keyId, range);
      return {
        key_id: keyId,
        interval: range.granularity,
        from: new Date(range.from).toISOString(),
        to: new Date(range.to).toISOString(),
        points,
      };
    },
  );

  for (const [path, summary, read] of [
    ['errors', 'Error breakdown of one key: by outcome, by status and status class', errorBreakdown],
    ['geo', 'Geography of one key: requests and errors by country, and by city', geoBreakdown],
    ['features', 'Features used by one key: requests and errors by scope and by route', featureBreakdown],
  ] as const) {
    route(
      {
        scope: 'analytics:read',
        url: `/v1/analytics/keys/:id/${path}`,
        summary,
        params: KeyIdParam,
        query: RangeQuery,
      },
      async (request, caller) => {
        const query = parse(RangeQuery, request.query);
        const range = totalsRange(query, now());
        const { tenantId, keyId } = await keyOf(request, caller, query.tenant_id);
        const body = await read(deps.clickhouse, tenantId, keyId, range.segments);
        return {
          key_id: keyId,
          from: new Date(range.from).toISOString(),
          to: new Date(range.to).toISOString(),
          ...body,
        };
      },
    );
  }

  route(
    {
      scope: 'analytics:read',
      url: '/v1/analytics/keys',
      summary: "Top keys of the caller's tenant by requests, errors or error rate",
      query: TopKeysQuery,
    },
    async (request, caller) => {
      const query = parse(TopKeysQuery, request.query);
      const range = totalsRange(query, now());
      const tenantId = tenantOf(caller, query.tenant_id);
      const sort = query.sort ?? 'requests';
      const keys = await topKeys(deps.clickhouse, tenantId, range.segments, sort, Number(query.limit ?? 10));
      return {
        tenant_id: tenantId,
        from: new Date(range.from).toISOString(),
        to: new Date(range.to).toISOString(),
        sort,
        keys,
      };
    },
  );

  route(
    {
      scope: 'analytics:read',
      url: '/v1/requests',
      summary:
        "Request search over the caller's tenant's auth events, newest first: filters, and keyset pagination by next_cursor",
      query: RequestsQuery,
    },
    async (request, caller) => {
      const query = parse(RequestsQuery, request.query);
      return searchRequests(deps.clickhouse, tenantOf(caller, query.tenant_id), query, now());
    },
  );

  const alerts = createAlertFeed({
    clickhouse: deps.clickhouse,
    statuses: deps.statuses,
    store: deps.store,
    logger: log,
    now,
  });
  route(
    {
      scope: 'audit:read',
      url: '/v1/alerts',
      summary: "The alert feed of the caller's tenant (the root key: every tenant), newest detected_at first",
      query: AlertsQuery,
    },
    async (request, caller) => ({
      alerts: await alerts.list(caller, parse(AlertsQuery, request.query)),
    }),
  );
  route(
    { scope: 'audit:read', url: '/v1/alerts/:id', summary: 'One alert with its status', params: AlertIdParam },
    async (request, caller) => ({
      alert: await alerts.get(caller, parse(AlertIdParam, request.params).id),
    }),
  );
  for (const [action, summary] of [
    ['ack', 'Acknowledge an alert: its repeats update it without notifying again (409 when resolved)'],
    ['resolve', 'Resolve an alert (idempotent): a repeat of the problem raises a new alert'],
  ] as const) {
    route(
      {
        method: 'POST',
        scope: 'keys:manage',
        url: `/v1/alerts/:id/${action}`,
        summary,
        params: AlertIdParam,
        body: AlertNoteBody,
      },
      async (request, caller) => {
        const { id } = parse(AlertIdParam, request.params);
        const body = parse(AlertNoteBody, request.body);
        return { alert: await alerts.transition(caller, id, action, body?.note) };
      },
    );
  }

  const feedback = createFeedback({
    alerts,
    feedback: deps.feedback,
    audit: deps.store,
    triggers: deps.triggers,
    now,
  });
  route(
    {
      method: 'POST',
      scope: 'keys:manage',
      url: '/v1/alerts/:id/dismiss',
      summary:
        'Dismiss an alert (false_positive or expected), optionally with a suppression rule for its key, source IP or tenant',
      params: AlertIdParam,
      body: DismissBody,
    },
    async (request, caller) =>
      feedback.dismiss(caller, parse(AlertIdParam, request.params).id, parse(DismissBody, request.body)),
  );
  route(
    {
      method: 'POST',
      scope: 'keys:manage',
      url: '/v1/alerts/:id/confirm',
      summary: "Confirm a compromise: the alert's key goes through the revocation path under the tenant policy",
      params: AlertIdParam,
      body: ConfirmBody,
    },
    async (request, caller) =>
      feedback.confirm(caller, parse(AlertIdParam, request.params).id, parse(ConfirmBody, request.body)?.note),
  );
  route(
    {
      scope: 'audit:read',
      url: '/v1/suppressions',
      summary: "The tenant's unexpired suppression rules",
      query: TenantQuery,
    },
    async (request, caller) => feedback.listSuppressions(tenantOf(caller, parse(TenantQuery, request.query).tenant_id)),
  );
  route(
    {
      method: 'POST',
      status: 201,
      scope: 'keys:manage',
      url: '/v1/suppressions',
      summary: 'Add a suppression rule: alerts matching every field it sets are not raised until it expires',
      body: SuppressionBody,
    },
    async (request, caller) => {
      const body = parse(SuppressionBody, request.body);
      return feedback.createSuppression(caller, tenantOf(caller, body.tenant_id), body);
    },
  );
  route(
    {
      method: 'DELETE',
      status: 204,
      scope: 'keys:manage',
      url: '/v1/suppressions/:id',
      summary: 'Remove a suppression rule',
      params: SuppressionIdParam,
      query: TenantQuery,
    },
    async (request, caller) => {
      const tenantId = tenantOf(caller, parse(TenantQuery, request.query).tenant_id);
      await feedback.deleteSuppression(caller, tenantId, parse(SuppressionIdParam, request.params).id);
      return undefined;
    },
  );
  route(
    {
      scope: 'audit:read',
      url: '/v1/trusted-networks',
      summary: "The tenant's trusted networks: CIDRs the geography and stuffing detectors do not judge",
      query: TenantQuery,
    },
    async (request, caller) =>
      feedback.getTrustedNetworks(tenantOf(caller, parse(TenantQuery, request.query).tenant_id)),
  );
  route(
    {
      method: 'PUT',
      scope: 'keys:manage',
      url: '/v1/trusted-networks',
      summary: "Replace the tenant's trusted networks (at most 1000 blocks)",
      body: TrustedNetworksBody,
    },
    async (request, caller) => {
      const body = parse(TrustedNetworksBody, request.body);
      return feedback.setTrustedNetworks(caller, tenantOf(caller, body.tenant_id), body.cidrs);
    },
  );

  route(
    {
      scope: 'audit:read',
      url: '/v1/threat-list',
      summary: "The tenant's own threat list: requests from these networks raise threat_list_ip",
      query: TenantQuery,
    },
    async (request, caller) => feedback.getThreatList(tenantOf(caller, parse(TenantQuery, request.query).tenant_id)),
  );
  route(
    {
      method: 'PUT',
      scope: 'keys:manage',
      url: '/v1/threat-list',
      summary: "Replace the tenant's own threat list (platform lists come from the detector's files)",
      body: ThreatListBody,
    },
    async (request, caller) => {
      const body = parse(ThreatListBody, request.body);
      return feedback.setThreatList(caller, tenantOf(caller, body.tenant_id), body.cidrs);
    },
  );

  const openapi = buildOpenApi(routes, {
    title: 'Keywatch analytics API',
    description:
      'Usage analytics per key and tenant, and the alert feed with its lifecycle (docs/contracts.md#analytics-api). Ranges are half-open [from, to), widened to whole buckets (series) or whole minutes (totals); errors are requests with status >= 400. An alert is docs/contracts.md#alert plus count, updated_at, status (open|acknowledged|resolved), status_actor and status_updated_at.',
    bearer:
      'a secret key with analytics:read (analytics, requests), audit:read (reading alerts and rules) or keys:manage (changing them)',
    errors: [
      [
        '400',
        'invalid parameter or body (`field` names it), or a range too large for the interval (`range_too_large`)',
      ],
      ['401', 'missing, malformed, unknown, revoked, expired or inactive key'],
      ['403', "the key is not a secret key with the route's scope, or names another tenant"],
      ['404', "no such key or alert in the caller's tenant"],
      [
        '409',
        'a transition the alert status does not allow, e.g. acknowledging a resolved alert (`invalid_transition`)',
      ],
      ['422', 'dismiss or confirm asks for what the alert lacks (a key to revoke, a key or IP to suppress)'],
    ],
  });
  app.get('/openapi.json', async () => openapi);
  app.get('/healthz', async () => ({ ok: true }));
  return app;
}
