import fastifyCookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import { ApiError, fastifyOptions, installErrorHandling } from '@keywatch/http-api';
import type { Logger } from '@keywatch/logger';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { ID_PATTERN, pickBody, PROXY_ROUTES, upstreamPath } from './routes.js';
import { csrfProblem, SECURITY_HEADERS } from './security.js';
import type { Capabilities, Session, SessionStore } from './sessions.js';
import { createMemorySignInGuard, type SignInGuard } from './signin-guard.js';
import { UpstreamUnavailable, type Upstream, type UpstreamResponse } from './upstream.js';

export interface AppDependencies {
  sessions: SessionStore;
  upstream: Upstream;
  logger: Logger;
  /** Idle session lifetime in ms (the cookie's Max-Age follows it). */
  sessionTtlMs: number;
  /** The built single-page app (index.html and assets); unset serves the API only (unit tests). */
  webRoot?: string;
  /** CONSOLE_PUBLIC_URL: the origin unsafe requests must come from; https makes the cookie Secure. */
  publicUrl?: string;
  /** Failed sign-ins per address; default: in memory, 20 per 10 minutes (several instances share one in Redis). */
  signInGuard?: SignInGuard;
  now?: () => number;
}

const SCOPE_OF: Record<keyof Capabilities, string> = {
  analytics: 'analytics:read',
  audit: 'audit:read',
  manage: 'keys:manage',
  webhooks: 'webhooks:manage',
};

/** The cookie: `__Host-` prefixed (host-only, path /, Secure) when served over https. */
function cookieName(secure: boolean): string {
  return secure ? '__Host-kw_session' : 'kw_session';
}

/**
 * The console's HTTP server: the built app, `POST/GET/DELETE /session`, and the allow-listed
 * `/api/*` routes proxied to the key service and the analytics API with the session's key.
 */
export function buildApp(deps: AppDependencies): FastifyInstance {
  const app = Fastify(fastifyOptions({ logger: false, bodyLimit: 16 * 1024, trustProxy: false }));
  const log = deps.logger;
  const now = deps.now ?? Date.now;
  const publicOrigin = deps.publicUrl ? new URL(deps.publicUrl).origin : undefined;
  const guard = deps.signInGuard ?? createMemorySignInGuard({ now });

  const isSecure = (request: FastifyRequest) =>
    publicOrigin ? publicOrigin.startsWith('https:') : request.protocol === 'https';
  const expectedOrigin = (request: FastifyRequest) => publicOrigin ?? `${request.protocol}://${request.host}`;

  void app.register(fastifyCookie);

  app.addHook('onRequest', async (request, reply) => {
    reply.headers(SECURITY_HEADERS);
    const path = request.url.split('?', 1)[0] ?? '';
    if (path.startsWith('/api/') || path === '/session') reply.header('cache-control', 'no-store');
    const origin = request.headers.origin;
    const contentLength = Number(request.headers['content-length'] ?? 0);
    const problem = csrfProblem({
      method: request.method,
      origin: typeof origin === 'string' ? origin : undefined,
      expectedOrigin: expectedOrigin(request),
      contentType: request.headers['content-type'],
      hasBody: contentLength > 0 || request.headers['transfer-encoding'] !== undefined,
    });
    if (problem) throw new ApiError(403, 'cross_site_request', problem, 'origin');
  });

  installErrorHandling(app, {
    logger: log,
    bodyLimit: 16 * 1024,
    internalMessage: 'internal error',
    translate: (error, request) => {
      if (!(error instanceof UpstreamUnavailable)) return undefined;
      log.warn({ err: error.cause, target: error.target, route: request.routeOptions.url }, 'upstream unavailable');
      return { status: 502, body: { error: { code: 'upstream_unavailable', message: error.message } } };
    },
  });

  function setSessionCookie(request: FastifyRequest, reply: FastifyReply, session: Session): void {
    const secure = isSecure(request);
    reply.setCookie(cookieName(secure), session.id, {
      httpOnly: true,
      sameSite: 'strict',
      secure,
      path: '/',
      maxAge: Math.round(deps.sessionTtlMs / 1000),
    });
  }

  function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void {
    const secure = isSecure(request);
    reply.clearCookie(cookieName(secure), { httpOnly: true, sameSite: 'strict', secure, path: '/' });
  }

  /** The caller's live session (renewed, cookie refreshed), or a 401. */
  async function requireSession(request: FastifyRequest, reply: FastifyReply): Promise<Session> {
    const id = request.cookies[cookieName(isSecure(request))];
    const session = id ? await deps.sessions.touch(id) : null;
    if (!session) {
      if (id) clearSessionCookie(request, reply);
      throw new ApiError(401, 'signed_out', 'not signed in, or the session expired; sign in again');
    }
    setSessionCookie(request, reply, session);
    return session;
  }

  const sessionView = (session: Session) => ({
    tenant_id: session.tenantId,
    capabilities: session.capabilities,
    expires_at: new Date(session.expiresAt).toISOString(),
  });

  app.post('/session', async (request, reply) => {
    if (await guard.blocked(request.ip)) {
      throw new ApiError(429, 'rate_limited', 'too many failed sign-ins from this address; wait 10 minutes');
    }
    const body = request.body as { key?: unknown } | undefined;
    const key = typeof body?.key === 'string' ? body.key.trim() : '';
    if (!/^[A-Za-z0-9_-]{16,256}$/.test(key)) {
      await guard.failed(request.ip);
      throw new ApiError(400, 'invalid_request', 'paste a secret key (sk_live_… or sk_dev_…)', 'key');
    }
    const probe = (target: 'keys' | 'analytics', path: string): Promise<UpstreamResponse | null> =>
      deps.upstream.call(target, { method: 'GET', path, key }).catch((error: unknown) => {
        if (error instanceof UpstreamUnavailable) return null;
        throw error;
      });
    const [analytics, audit, manage, webhooks] = await Promise.all([
      probe('analytics', '/v1/analytics/keys?limit=1'),
      probe('keys', '/v1/audit?limit=1'),
      probe('keys', '/v1/keys?limit=1'),
      probe('keys', '/v1/webhooks'),
    ]);
    const answers = [analytics, audit, manage, webhooks];
    if (answers.every((a) => a === null))
      return reply.status(502).send({
        error: { code: 'upstream_unavailable', message: 'neither the key service nor the analytics API answered' },
      });
    if (answers.every((a) => a === null || a.status === 401)) {
      await guard.failed(request.ip);
      throw new ApiError(401, 'invalid_key', 'this key does not work: unknown, revoked, expired or inactive', 'key');
    }
    if (analytics?.status === 400) {
      throw new ApiError(
        400,
        'tenant_key_required',
        'the console shows one tenant; sign in with a tenant key, not the platform root key',
        'key',
      );
    }
    const capabilities: Capabilities = {
      analytics: analytics?.status === 200,
      audit: audit?.status === 200,
      manage: manage?.status === 200,
      // 422: the key may manage webhooks but the key service has no secrets key; the page says so.
      webhooks: webhooks?.status === 200 || webhooks?.status === 422,
    };
    if (!capabilities.analytics && !capabilities.audit) {
      await guard.failed(request.ip);
      throw new ApiError(
        403,
        'insufficient_scope',
        'the console needs a secret key with analytics:read or audit:read',
        'key',
      );
    }
    const tenantOf = (answer: UpstreamResponse | null, list: string): string | null => {
      if (answer?.status !== 200 || typeof answer.body !== 'object' || answer.body === null) return null;
      const body = answer.body as Record<string, unknown>;
      if (typeof body.tenant_id === 'string') return body.tenant_id;
      const first = (body[list] as Array<{ tenant_id?: unknown }> | undefined)?.[0];
      return typeof first?.tenant_id === 'string' ? first.tenant_id : null;
    };
    const tenantId = tenantOf(analytics, 'keys') ?? tenantOf(audit, 'entries') ?? tenantOf(manage, 'keys');
    await guard.succeeded(request.ip);
    const session = await deps.sessions.create({ key, tenantId, capabilities });
    setSessionCookie(request, reply, session);
    return reply.status(201).send({ session: sessionView(session) });
  });

  // Not signed in is an ordinary answer here (not a 401), so the app's first look logs no error.
  app.get('/session', async (request, reply) => {
    const id = request.cookies[cookieName(isSecure(request))];
    const session = id ? await deps.sessions.touch(id) : null;
    if (!session) {
      if (id) clearSessionCookie(request, reply);
      return { session: null };
    }
    setSessionCookie(request, reply, session);
    return { session: sessionView(session) };
  });

  app.delete('/session', async (request, reply) => {
    const id = request.cookies[cookieName(isSecure(request))];
    if (id) await deps.sessions.delete(id);
    clearSessionCookie(request, reply);
    return reply.status(204).send();
  });

  for (const route of PROXY_ROUTES) {
    app.route({
      method: route.method,
      url: route.url,
      handler: async (request, reply) => {
        const session = await requireSession(request, reply);
        for (const [name, value] of Object.entries(request.params as Record<string, string>))
          if (!ID_PATTERN.test(value)) throw new ApiError(400, 'invalid_request', 'not a valid id', name);
        if (!session.capabilities[route.needs])
          throw new ApiError(403, 'insufficient_scope', `this needs a key with ${SCOPE_OF[route.needs]}`);
        const answer = await deps.upstream.call(route.target, {
          method: route.method,
          path: upstreamPath(request.url),
          key: session.key,
          body: route.bodyFields ? pickBody(request.body, route.bodyFields) : undefined,
        });
        if (answer.status === 401) {
          // The key stopped working (revoked, expired, deactivated): the session ends with it.
          await deps.sessions.delete(session.id);
          clearSessionCookie(request, reply);
          throw new ApiError(
            401,
            'signed_out',
            'the signed-in key no longer works (revoked, expired or inactive); sign in again',
          );
        }
        return reply.status(answer.status).send(answer.body);
      },
    });
  }

  app.all('/api/*', async (request) => {
    throw new ApiError(
      404,
      'not_found',
      `the console does not serve ${request.method} ${request.url.split('?', 1)[0]}`,
    );
  });

  if (deps.webRoot) {
    void app.register(fastifyStatic, {
      root: deps.webRoot,
      index: ['index.html'],
      wildcard: true,
      setHeaders(res, filePath) {
        // Hashed asset names never change content; index.html must be fetched fresh to find new ones.
        res.header('cache-control', filePath.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
  }
  app.get('/healthz', async () => ({ ok: true }));
  return app;
}
