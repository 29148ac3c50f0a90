import { hostname } from 'node:os';
import {
  newEventId,
  newRequestId,
  toEventTime,
  validate,
  type AuthEvent,
  type Outcome,
  type Scope,
} from '@keywatch/contracts';
import type { KeyRecord, KeyStore } from '@keywatch/keystore';
import type { Logger } from '@keywatch/logger';
import { rateLimitHeaders, type RateLimiter } from '@keywatch/ratelimit';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { KeyAdmin } from './admin.js';
import { type Caller } from './admin.js';
import { clientAddress, type Authenticate, type AuthResult } from './auth.js';
import { ApiError, fastifyOptions, installErrorHandling, invalidInput } from '@keywatch/http-api';
import { buildOpenApi, type RouteSpec } from '@keywatch/http-api';
import { registerWebhookRoutes, type WebhookAdmin } from './webhooks.js';
import { registerLeakRoutes, type LeakRoutesDependencies } from './leaks/routes.js';
import {
  AuditQuery,
  CreateKeyBody,
  KeyIdParam,
  ListKeysQuery,
  PatchKeyBody,
  PolicyBody,
  PolicyQuery,
  ReasonBody,
  RotateBody,
} from './schemas.js';

export interface AppDependencies {
  store: KeyStore;
  admin: KeyAdmin;
  authenticate: Authenticate;
  limiter: RateLimiter;
  /** Receives one auth event per request (the admin API eats its own dog food). */
  emit: (event: AuthEvent) => void;
  logger: Logger;
  /** Per-caller limits of the admin API itself. */
  limits: { perIp: { limit: number; window_s: number }; perKey: { limit: number; window_s: number } };
  gatewayId?: string;
  /** Addresses or CIDR blocks of proxies whose X-Forwarded-For is believed. Default: none. */
  trustedProxies?: string[];
  /** `/v1/webhooks` (alert destinations); absent = not served. */
  webhooks?: WebhookAdmin;
  /** `/v1/leaks…` and `/v1/hygiene` (leak reports, leak policy, hygiene settings); absent = not served. */
  leaks?: LeakRoutesDependencies;
}

interface RequestState {
  outcome: Outcome;
  scope: Scope | null;
  auth?: AuthResult;
  rateLimit: AuthEvent['rate_limit'];
}

declare module 'fastify' {
  interface FastifyRequest {
    keywatch: RequestState;
  }
}

function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = validate(schema, input ?? {});
  if (!result.ok) throw invalidInput(result.issues);
  return result.value as z.output<S>;
}

const BODY_LIMIT = 64 * 1024;

/** The admin HTTP API of docs/contracts.md#key-service, plus `/v1/policy` and `/openapi.json`. */
export function buildApp(deps: AppDependencies): FastifyInstance {
  const gatewayId = deps.gatewayId ?? `key-service-${hostname()}-${process.pid}`;
  const app = Fastify(
    fastifyOptions({
      logger: false,
      // Only the named proxies: trusting every hop would let a caller choose its own address.
      trustProxy: deps.trustedProxies && deps.trustedProxies.length > 0 ? deps.trustedProxies : false,
      bodyLimit: BODY_LIMIT,
      genReqId: newRequestId,
      requestIdHeader: false,
    }),
  );
  const log = deps.logger;

  app.decorateRequest('keywatch', null as unknown as RequestState);
  app.addHook('onRequest', async (request, reply) => {
    request.keywatch = { outcome: 'allowed', scope: null, rateLimit: null };
    reply.header('x-request-id', request.id);
  });

  // One auth event per request, after the answer is sent: never on the request's critical path.
  app.addHook('onResponse', async (request, reply) => {
    const state = request.keywatch;
    const auth = state.auth;
    const key: KeyRecord | undefined = auth?.ok
      ? auth.caller.kind === 'key'
        ? auth.caller.key
        : undefined
      : auth?.key;
    deps.emit({
      v: 1,
      event_id: newEventId(),
      ts: toEventTime(new Date()),
      gateway_id: gatewayId,
      request_id: request.id,
      tenant_id: key?.tenant_id ?? null,
      key_id: key?.id ?? null,
      key_type: auth?.parsed?.type ?? null,
      environment: auth?.parsed?.environment ?? null,
      key_fingerprint: auth?.fingerprint ?? null,
      outcome: state.outcome,
      scope: state.scope,
      method: request.method,
      route: request.routeOptions.url ?? '/*',
      status: reply.statusCode,
      latency_ms: Math.max(0, Math.round(reply.elapsedTime * 1000) / 1000),
      ip: clientAddress(request),
      user_agent: request.headers['user-agent'] ?? null,
      origin: request.headers.origin ?? null,
      rate_limit: state.rateLimit,
    });
  });

  installErrorHandling(app, { logger: log, bodyLimit: BODY_LIMIT });

  async function limit(
    request: FastifyRequest,
    reply: FastifyReply,
    bucket: string,
    policy: { limit: number; window_s: number },
  ): Promise<void> {
    const result = await deps.limiter.limit(bucket, policy);
    request.keywatch.rateLimit = { limit: result.limit, remaining: result.remaining, window_s: policy.window_s };
    const headers = rateLimitHeaders(result);
    reply.headers(headers);
    if (!result.allowed) {
      request.keywatch.outcome = 'rate_limited';
      throw new ApiError(
        429,
        'rate_limited',
        `too many requests; retry in ${headers['Retry-After'] ?? '1'} s`,
        undefined,
        headers,
      );
    }
  }

  /** Rate limit per address, authenticate, check the scope, then rate limit per key. */
  async function authorize(request: FastifyRequest, reply: FastifyReply, scope: Scope): Promise<Caller> {
    request.keywatch.scope = scope;
    await limit(request, reply, `admin:ip:${clientAddress(request)}`, deps.limits.perIp);
    const auth = await deps.authenticate(request, scope);
    request.keywatch.auth = auth;
    if (!auth.ok) {
      request.keywatch.outcome = auth.outcome;
      throw new ApiError(auth.status, auth.outcome, auth.message);
    }
    const caller = auth.caller;
    if (caller.kind === 'key') {
      await limit(request, reply, `admin:key:${caller.key.id}`, caller.key.rate_limit ?? deps.limits.perKey);
      // last_used_at is informational; a failure to record it must not fail the call.
      deps.store
        .touch(caller.key.id, new Date())
        .catch((error: unknown) => log.warn({ err: error, key_id: caller.key.id }, 'could not record last use'));
    }
    return caller;
  }

  const routes: RouteSpec[] = [];
  function route(
    spec: RouteSpec,
    handler: (request: FastifyRequest, caller: Caller) => Promise<{ status?: number; body: unknown }>,
  ): void {
    routes.push(spec);
    app.route({
      method: spec.method ?? 'GET',
      url: spec.url,
      handler: async (request, reply) => {
        const caller = await authorize(request, reply, spec.scope);
        const { status = 200, body } = await handler(request, caller);
        return reply.status(status).send(body);
      },
    });
  }

  const admin = deps.admin;
  route(
    {
      method: 'POST',
      url: '/v1/keys',
      scope: 'keys:manage',
      summary: 'Create a key; the secret is in this response only',
      body: CreateKeyBody,
      status: 201,
    },
    async (req, caller) => ({
      status: 201,
      body: await admin.create(caller, parse(CreateKeyBody, req.body)),
    }),
  );
  route(
    { method: 'GET', url: '/v1/keys', scope: 'keys:manage', summary: 'List keys (no secrets)', query: ListKeysQuery },
    async (req, caller) => ({
      body: { keys: await admin.list(caller, parse(ListKeysQuery, req.query)) },
    }),
  );
  route(
    {
      method: 'GET',
      url: '/v1/keys/:id',
      scope: 'keys:manage',
      summary: 'One key record (no secret)',
      params: KeyIdParam,
    },
    async (req, caller) => ({
      body: { key: await admin.get(caller, parse(KeyIdParam, req.params).id) },
    }),
  );
  route(
    {
      method: 'PATCH',
      url: '/v1/keys/:id',
      scope: 'keys:manage',
      summary: 'Change name, scopes, allowed IPs and origins, rate limit',
      params: KeyIdParam,
      body: PatchKeyBody,
    },
    async (req, caller) => ({
      body: { key: await admin.patch(caller, parse(KeyIdParam, req.params).id, parse(PatchKeyBody, req.body)) },
    }),
  );
  route(
    {
      method: 'POST',
      url: '/v1/keys/:id/rotate',
      scope: 'keys:manage',
      summary: 'Rotate: a new secret (shown once); the old key works until its grace period ends',
      params: KeyIdParam,
      body: RotateBody,
      status: 201,
    },
    async (req, caller) => ({
      status: 201,
      body: await admin.rotate(caller, parse(KeyIdParam, req.params).id, parse(RotateBody, req.body).grace_period_s),
    }),
  );
  for (const [action, transition] of [
    ['deactivate', 'deactivate'],
    ['reactivate', 'reactivate'],
    ['revoke', 'revoke'],
  ] as const) {
    route(
      {
        method: 'POST',
        url: `/v1/keys/:id/${action}`,
        scope: 'keys:manage',
        summary: `${action[0]!.toUpperCase()}${action.slice(1)} a key`,
        params: KeyIdParam,
        body: ReasonBody,
      },
      async (req, caller) => ({
        body: {
          key: await admin.transition(
            caller,
            parse(KeyIdParam, req.params).id,
            transition,
            parse(ReasonBody, req.body).reason ?? null,
          ),
        },
      }),
    );
  }
  route(
    {
      method: 'GET',
      url: '/v1/audit',
      scope: 'audit:read',
      summary: 'Who did what to which key, and every automatic action',
      query: AuditQuery,
    },
    async (req, caller) => ({
      body: { entries: await admin.audit(caller, parse(AuditQuery, req.query)) },
    }),
  );
  route(
    {
      method: 'GET',
      url: '/v1/policy',
      scope: 'keys:manage',
      summary: "The tenant's policy for revocation triggers",
      query: PolicyQuery,
    },
    async (req, caller) => ({
      body: { policy: await admin.policy(caller, parse(PolicyQuery, req.query).tenant_id) },
    }),
  );
  route(
    {
      method: 'PUT',
      url: '/v1/policy',
      scope: 'keys:manage',
      summary: "Set the tenant's policy for revocation triggers",
      body: PolicyBody,
    },
    async (req, caller) => ({
      body: { policy: await admin.setPolicy(caller, parse(PolicyBody, req.body)) },
    }),
  );

  if (deps.webhooks) registerWebhookRoutes(route, parse, deps.webhooks);
  if (deps.leaks)
    registerLeakRoutes({
      app,
      route,
      parse,
      admin,
      limitByAddress: (request, reply) =>
        limit(request, reply, `admin:ip:${clientAddress(request)}`, deps.limits.perIp),
      deps: deps.leaks,
    });

  const openapi = buildOpenApi(routes, {
    title: 'Keywatch key service',
    description:
      'The key lifecycle of docs/contracts.md#key-service. Secrets appear only in the create and rotate responses.',
    bearer: 'a secret key (sk_…) or the platform root key',
    errors: [
      ['400', 'invalid input; `field` names it'],
      ['401', 'missing, malformed, unknown, revoked, expired or inactive key'],
      ['403', "the key lacks the scope, or the resource is another tenant's"],
      ['404', 'no such key'],
      ['409', 'the state does not allow this change'],
      ['422', 'a webhook URL refused by the SSRF guard, or webhooks not configured'],
      ['429', 'rate limited; see Retry-After'],
    ],
  });
  app.get('/openapi.json', async () => openapi);
  app.get('/healthz', async () => ({ ok: true }));
  return app;
}
