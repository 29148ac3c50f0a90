import { isIP } from 'node:net';
import { Scope } from '@keywatch/contracts';
import { clientIp, ipAllowed, isPreflight, normalizeIp, type Decision, type Keywatch } from '@keywatch/gateway-sdk';
import { badRequest, buildOpenApi, type ErrorBody } from '@keywatch/http-api';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CALLER_NAME } from './config.js';

/** Header carrying the deployment token (lower case, as Node reports it). */
export const TOKEN_HEADER = 'keywatch-auth-token';
/** A verify body is a key and a few short strings. */
export const VERIFY_BODY_LIMIT = 16 * 1024;
const FORWARD_PREFIX = '/v1/forward-auth';
/** Sent by a proxy that reports each allowed request's final status afterwards (`syslog`: nginx's access log). */
const STATUS_REPORT_HEADER = 'x-keywatch-status-report';
/** Query parameter names that carry keys in the wild; a URI with one is refused, never looked up. */
const KEY_PARAMS = new Set([
  'key',
  'api_key',
  'apikey',
  'api-key',
  'x-api-key',
  'access_token',
  'token',
  'secret',
  'auth',
  'authorization',
]);
const KEY_SHAPE = /(?:^|[^A-Za-z0-9])[ps]k_(?:dev|live)_/;
const METHOD = /^[A-Za-z]{1,20}$/;

/** `POST /v1/verify` body (docs/contracts.md#auth-server). Unknown fields are refused: a typo must not drop a check. */
export const VerifyRequest = z.strictObject({
  key: z.string().max(VERIFY_BODY_LIMIT).describe('the presented credential, as received (empty: missing_key)'),
  scope: Scope.optional().describe('the permission wanted; wins over method + route'),
  method: z
    .string()
    .regex(METHOD, 'must be an HTTP method')
    .optional()
    .describe('the original request method (with route)'),
  route: z
    .string()
    .startsWith('/', 'must be a path starting with /')
    .max(8192)
    .optional()
    .describe('the original request path, mapped through the route table'),
  ip: z
    .string()
    .refine((v) => isIP(v) !== 0, 'must be an IPv4 or IPv6 address')
    .optional()
    .describe("the client's address (default: the caller's)"),
  origin: z.string().max(2048).nullable().optional().describe('the browser Origin header, if any'),
  user_agent: z.string().max(2048).nullable().optional(),
  gateway_id: z
    .string()
    .regex(CALLER_NAME, 'must be 1–100 of A-Z a-z 0-9 . _ -')
    .optional()
    .describe("the caller's name, written as gateway_id in the auth event"),
});

const VerifyAnswer = z.object({
  valid: z.boolean(),
  outcome: z.string(),
  status: z.number().int(),
  key: z
    .object({
      id: z.string(),
      tenant_id: z.string(),
      type: z.string(),
      environment: z.string(),
      scopes: z.array(z.string()),
      name: z.string(),
    })
    .nullable(),
  rate_limit: z.object({ limit: z.number().int(), remaining: z.number().int(), reset_s: z.number().int() }).nullable(),
  request_id: z.string(),
});
export type VerifyAnswer = z.infer<typeof VerifyAnswer>;

export interface RouteOptions {
  keywatch: Keywatch;
  trustedProxies: readonly string[];
  defaultCallerId: string;
  openapi: boolean;
  /** Whether allowed events of proxies that report the upstream's status are held for it. */
  statusReports: boolean;
  /** Emits the decision's auth event under the caller's name; `hold`: keep it until the proxy reports the upstream's status. */
  report(decision: Decision, status: number, caller: string, hold: boolean): void;
}

const first = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

/** A key-looking query parameter anywhere in `target`'s query string. */
export function keyInQuery(target: string): boolean {
  const q = target.indexOf('?');
  if (q === -1) return false;
  for (const [name, value] of new URLSearchParams(target.slice(q + 1))) {
    if (KEY_PARAMS.has(name.toLowerCase()) || KEY_SHAPE.test(value) || KEY_SHAPE.test(name)) return true;
  }
  return false;
}

/** The client address: X-Forwarded-For (right to left past trusted proxies), else X-Real-IP from a trusted peer, else the peer. */
export function forwardedIp(
  headers: FastifyRequest['headers'],
  peer: string | undefined,
  trusted: readonly string[],
): string {
  if (headers['x-forwarded-for'] !== undefined) return clientIp(headers, peer, trusted);
  const self = normalizeIp(peer ?? '0.0.0.0');
  const real = first(headers['x-real-ip'])?.trim();
  return real !== undefined && isIP(real) !== 0 && ipAllowed(self, trusted) ? normalizeIp(real) : self;
}

function keyRecord(decision: Decision): VerifyAnswer['key'] {
  const key = decision.key;
  return key
    ? {
        id: key.id,
        tenant_id: key.tenant_id,
        type: key.type,
        environment: key.environment,
        scopes: [...key.scopes],
        name: key.name,
      }
    : null;
}

/** The status the client gets: the outcome's, 200 when allowed, 404 when no route rule matched. */
function statusOf(decision: Decision): number {
  if (decision.outcome === 'allowed') return decision.unmatched ? 404 : 200;
  return decision.status ?? 403;
}

/** The verify API and forward-auth (docs/contracts.md#auth-server). */
export function installRoutes(app: FastifyInstance, options: RouteOptions): void {
  const { keywatch, trustedProxies, defaultCallerId } = options;

  app.post('/v1/verify', async (request, reply) => {
    const parsed = VerifyRequest.safeParse(request.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.code === 'unrecognized_keys' ? issue.keys[0] : issue?.path.join('.');
      throw badRequest(issue ? `${field || 'body'}: ${issue.message}` : 'invalid body', field || 'body');
    }
    const body = parsed.data;
    if ((body.method === undefined) !== (body.route === undefined)) {
      const missing = body.method === undefined ? 'method' : 'route';
      throw badRequest(`${missing}: required with ${missing === 'method' ? 'route' : 'method'}`, missing);
    }
    const method = body.method?.toUpperCase() ?? 'POST';
    const match = body.route !== undefined ? keywatch.routes.match(method, body.route) : null;
    // scope wins over method + route; neither: no scope check (any valid key of the environment).
    const route =
      body.scope !== undefined
        ? { route: match?.route ?? '/*', scope: body.scope, redisFailure: match?.redisFailure }
        : body.route === undefined
          ? { route: '/*', scope: null }
          : undefined;
    const headers: Record<string, string> = { 'x-api-key': body.key };
    if (body.origin) headers.origin = body.origin;
    if (body.user_agent) headers['user-agent'] = body.user_agent;
    const decision = await keywatch.authorize({
      method,
      url: body.route ?? '/',
      headers,
      ip: body.ip !== undefined ? normalizeIp(body.ip) : normalizeIp(request.socket.remoteAddress ?? '0.0.0.0'),
      requestId: request.id,
      route,
    });
    const status = statusOf(decision);
    options.report(decision, status, body.gateway_id ?? callerHeader(request) ?? defaultCallerId, false);
    const rl = decision.rateLimit;
    const answer: VerifyAnswer = {
      valid: status === 200,
      outcome: decision.outcome,
      status,
      key: keyRecord(decision),
      rate_limit: rl
        ? {
            limit: rl.limit,
            remaining: Math.max(0, Math.floor(rl.remaining)),
            reset_s: Math.max(0, Math.ceil(rl.resetSeconds)),
          }
        : null,
      request_id: request.id,
    };
    return reply.header('x-request-id', request.id).send(answer);
  });

  // Forward-auth gets no body from nginx, Caddy or Traefik; one sent anyway is not read.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
    scope.all(FORWARD_PREFIX, (request, reply) => forwardAuth(request, reply));
    scope.all(`${FORWARD_PREFIX}/*`, (request, reply) => forwardAuth(request, reply));
  });

  function callerHeader(request: FastifyRequest): string | undefined {
    const name = first(request.headers['x-keywatch-gateway-id']);
    return name !== undefined && CALLER_NAME.test(name) ? name : undefined;
  }

  async function forwardAuth(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const headers = request.headers;
    const nginx = first(headers['x-keywatch-auth-mode'])?.trim().toLowerCase() === 'nginx';
    reply.header('x-request-id', request.id);
    // nginx's auth_request takes only 2xx, 401 and 403: other refusals travel in X-Keywatch-Status.
    const refuse = (status: number, body: ErrorBody, extra: Record<string, string> = {}): FastifyReply => {
      // Code and status in headers too: nginx's error_page cannot read an auth_request's body.
      reply.headers(extra).header('x-keywatch-error', body.error.code).header('x-keywatch-status', String(status));
      if (nginx && status !== 401 && status !== 403) return reply.code(403).send(body);
      return reply.code(status).send(body);
    };
    const invalid = (message: string, field: string) =>
      refuse(400, { error: { code: 'invalid_request', message, field } });

    const method = first(headers['x-forwarded-method'])?.trim() ?? request.method;
    if (!METHOD.test(method)) return invalid('X-Forwarded-Method must be an HTTP method', 'x-forwarded-method');
    const uri =
      first(headers['x-forwarded-uri']) ??
      first(headers['x-original-uri']) ??
      (request.url.slice(FORWARD_PREFIX.length) || '/');
    if (!uri.startsWith('/') || uri.length > 8192)
      return invalid(
        'the original URI must be a path starting with /',
        headers['x-forwarded-uri'] !== undefined ? 'x-forwarded-uri' : 'x-original-uri',
      );
    // A key in a URL ends up in access logs and browser history: refused, never looked up or logged.
    if (keyInQuery(uri) || keyInQuery(request.url))
      return refuse(400, {
        error: {
          code: 'key_in_query',
          message: 'send the key in Authorization: Bearer or X-Api-Key, never in the URL',
        },
      });
    if (first(headers['x-keywatch-gateway-id']) !== undefined && callerHeader(request) === undefined)
      return invalid('X-Keywatch-Gateway-Id must be 1–100 of A-Z a-z 0-9 . _ -', 'x-keywatch-gateway-id');
    // CORS preflights carry no key by design: let them through to the upstream, unreported (as the SDK does).
    if (isPreflight(method.toUpperCase(), headers)) return reply.code(200).send();

    const decision = await keywatch.authorize({
      method: method.toUpperCase(),
      url: uri,
      headers,
      ip: forwardedIp(headers, request.socket.remoteAddress, trustedProxies),
      requestId: request.id,
    });
    const status = statusOf(decision);
    // The proxy will report the upstream's status under this request id (docs/gateways/nginx.conf).
    const hold = status === 200 && options.statusReports && first(headers[STATUS_REPORT_HEADER]) === 'syslog';
    options.report(decision, status, callerHeader(request) ?? defaultCallerId, hold);
    if (status === 200) {
      if (hold) reply.header('x-keywatch-report-id', request.id);
      return reply
        .code(200)
        .headers(decision.headers)
        .header('x-keywatch-key-id', decision.key?.id ?? '')
        .header('x-keywatch-tenant-id', decision.key?.tenant_id ?? '')
        .send();
    }
    return refuse(status, keywatch.errorBody(decision), decision.headers);
  }

  if (options.openapi) {
    const document = openApiDocument();
    app.get('/openapi.json', async () => document);
  }
}

/** The OpenAPI document of the verify API (the forward-auth call is described in prose). */
export function openApiDocument(): Record<string, unknown> {
  const doc = buildOpenApi(
    [
      {
        method: 'POST',
        url: '/v1/verify',
        scope: 'keys:manage',
        summary: 'Verify a key for a scope or a route; one auth event per call',
        body: VerifyRequest,
      },
    ],
    {
      title: 'Keywatch auth server',
      description:
        'Verify API and forward-auth for gateways that do not embed the Node SDK (docs/contracts.md#auth-server).',
      bearer: 'not used: callers send Keywatch-Auth-Token when the server has AUTH_SERVER_TOKEN',
      errors: [
        ['400', 'the body does not match (`invalid_request`, naming the field)'],
        ['401', 'Keywatch-Auth-Token missing or wrong (`unauthorized`)'],
      ],
    },
  );
  const paths = doc.paths as Record<string, Record<string, Record<string, unknown>>>;
  const verify = paths['/v1/verify']!.post!;
  verify.description = 'A bad key is `valid: false` with its outcome, never an HTTP error.';
  verify.security = [{ token: [] }];
  verify.responses = {
    ...(verify.responses as Record<string, unknown>),
    200: { description: 'the decision', content: { 'application/json': { schema: z.toJSONSchema(VerifyAnswer) } } },
  };
  paths['/v1/forward-auth'] = {
    get: {
      summary: 'Forward-auth (any method, any path below): the original request as headers',
      description:
        'Key in Authorization: Bearer or X-Api-Key; X-Forwarded-For / X-Real-IP; X-Forwarded-Method; X-Forwarded-Uri or X-Original-URI; Origin; User-Agent. 200 with X-Keywatch-Key-Id, X-Keywatch-Tenant-Id and RateLimit-*; refusals with the outcome status and error body. X-Keywatch-Auth-Mode: nginx turns every refusal into 401 or 403 (the real status in X-Keywatch-Status). X-Keywatch-Status-Report: syslog holds an allowed event until the proxy reports the upstream status for the X-Keywatch-Report-Id it got (UDP syslog line `keywatch: <id> <status> <seconds>`).',
      security: [{ token: [] }],
      responses: {
        200: { description: 'allowed' },
        401: { description: 'refused (key)' },
        403: { description: 'refused (environment, scope, IP, origin; in nginx mode also the rest)' },
        429: { description: 'rate limited, with Retry-After' },
      },
    },
  };
  const components = doc.components as { securitySchemes: Record<string, unknown> };
  components.securitySchemes = {
    token: {
      type: 'apiKey',
      in: 'header',
      name: 'Keywatch-Auth-Token',
      description: 'the deployment token (AUTH_SERVER_TOKEN), when set',
    },
  };
  return doc;
}
