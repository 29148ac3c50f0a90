import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { newRequestId, type Scope } from '@keywatch/contracts';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { clientIp, type TrustProxy } from '@keywatch/key-auth';
import type { Decision, Keywatch } from './keywatch.js';
import type { RedisFailurePolicy } from './routes.js';

/** Options of the middlewares. */
export interface MiddlewareOptions {
  keywatch: Keywatch;
  /** Take the client address from `X-Forwarded-For` (only behind a proxy you run). Default false. */
  trustProxy?: TrustProxy;
  /**
   * CORS preflights (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) carry no key by
   * design. `skip` (default): pass them to the app unchecked and unreported (answer them with your
   * CORS handling); `check`: treat them like any request (they then fail with `missing_key`).
   */
  preflight?: 'skip' | 'check';
}

/** True for a CORS preflight request. */
export function isPreflight(method: string | undefined, headers: IncomingHttpHeaders): boolean {
  return method === 'OPTIONS' && headers.origin !== undefined && headers['access-control-request-method'] !== undefined;
}

function refuse(res: ServerResponse, keywatch: Keywatch, decision: Decision): void {
  const body = JSON.stringify(keywatch.errorBody(decision));
  res.statusCode = decision.status ?? 404;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(body);
}

/** A node:http request after {@link keywatchMiddleware} let it through. */
export type KeywatchIncomingMessage = IncomingMessage & { keywatchAuth?: Decision };

/**
 * Express-style middleware, also usable with plain node:http:
 * `http.createServer((req, res) => mw(req, res, () => handler(req, res)))`.
 * Refused requests are answered here (JSON error, `RateLimit-*`/`Retry-After` headers); allowed
 * ones get `req.keywatchAuth` (the {@link Decision}) and the rate-limit headers, then `next()`.
 * The auth event is emitted when the response closes, with the status actually sent.
 */
export function keywatchMiddleware(
  options: MiddlewareOptions,
): (req: KeywatchIncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void {
  const { keywatch } = options;
  const trustProxy = options.trustProxy ?? false;
  const skipPreflight = (options.preflight ?? 'skip') === 'skip';
  return (req, res, next) => {
    if (skipPreflight && isPreflight(req.method, req.headers)) {
      next();
      return;
    }
    const requestId = newRequestId();
    res.setHeader('x-request-id', requestId);
    keywatch
      .authorize({
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers: req.headers,
        ip: clientIp(req.headers, req.socket.remoteAddress, trustProxy),
        requestId,
      })
      .then((decision) => {
        req.keywatchAuth = decision;
        for (const [name, value] of Object.entries(decision.headers)) res.setHeader(name, value);
        res.once('close', () => keywatch.finish(decision, res.statusCode));
        if (decision.outcome !== 'allowed' || decision.unmatched) {
          refuse(res, keywatch, decision);
          return;
        }
        next();
      })
      .catch(next);
  };
}

/** Per-route Fastify config: `{ config: { keywatch: { scope: 'customers:read' } } }`, or `false` to skip checks. */
export type KeywatchRouteConfig = false | { scope: Scope | null; redisFailure?: RedisFailurePolicy };

declare module 'fastify' {
  interface FastifyContextConfig {
    /** See {@link KeywatchRouteConfig}. Without it, the route table decides. */
    keywatch?: KeywatchRouteConfig;
  }
  interface FastifyRequest {
    /** The decision of `keywatchFastify`, for allowed requests on checked routes. */
    keywatchAuth?: Decision;
  }
}

/**
 * Adds the checks to a Fastify instance (all its routes, including ones registered later and the
 * 404 handler): an `onRequest` hook (before any body is read) that answers refusals, and an
 * `onResponse` hook that emits the auth event. Routes with `config.keywatch` give their own scope
 * (template from Fastify); `config.keywatch: false` skips them (health, metrics); others use the
 * route table, and an allowed request no rule matches is answered 404.
 */
export function installKeywatch(app: FastifyInstance, options: MiddlewareOptions): void {
  const { keywatch } = options;
  const trustProxy = options.trustProxy ?? false;
  const skipPreflight = (options.preflight ?? 'skip') === 'skip';
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    // Read once: Fastify builds a new `routeOptions` object on every access.
    const { config: routeConfig, url: template } = request.routeOptions;
    const config = routeConfig.keywatch;
    if (config === false || (skipPreflight && isPreflight(request.method, request.headers))) return;
    reply.header('x-request-id', request.id);
    const decision = await keywatch.authorize({
      method: request.method,
      url: request.url,
      headers: request.headers,
      ip: clientIp(request.headers, request.socket.remoteAddress, trustProxy),
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-conversion -- a custom genReqId may answer a number
      requestId: String(request.id),
      route:
        config && template !== undefined
          ? { route: template, scope: config.scope, redisFailure: config.redisFailure }
          : undefined,
    });
    request.keywatchAuth = decision;
    reply.headers(decision.headers);
    if (decision.outcome !== 'allowed' || decision.unmatched) {
      return reply.code(decision.status ?? 404).send(keywatch.errorBody(decision));
    }
  });
  // A callback hook, not an async one: no promise per request.
  app.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const decision = request.keywatchAuth;
    if (decision) keywatch.finish(decision, reply.statusCode);
    done();
  });
}

/**
 * {@link installKeywatch} as a Fastify plugin that is not encapsulated (like `fastify-plugin`),
 * so its hooks apply to the whole instance: `await app.register(keywatchFastify, { keywatch })`.
 */
export const keywatchFastify: FastifyPluginAsync<MiddlewareOptions> = Object.assign(
  async (app: FastifyInstance, options: MiddlewareOptions) => installKeywatch(app, options),
  { [Symbol.for('skip-override')]: true },
);
