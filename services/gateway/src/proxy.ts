import type { IncomingHttpHeaders } from 'node:http';
import type { Decision } from '@keywatch/gateway-sdk';
import type { Logger } from '@keywatch/logger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Pool } from 'undici';

// Hop-by-hop headers (RFC 9110 section 7.6.1) and what the gateway sets itself.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
]);
// The credential never leaves the gateway: the upstream learns the key id and tenant instead.
const STRIPPED = new Set([
  ...HOP_BY_HOP,
  'authorization',
  'x-api-key',
  'x-keywatch-key-id',
  'x-keywatch-tenant-id',
  'x-keywatch-scope',
  'x-keywatch-degraded',
]);

/** Forwards allowed requests to the upstream over a keep-alive pool. */
export interface Proxy {
  forward(request: FastifyRequest, reply: FastifyReply, decision: Decision | undefined): Promise<FastifyReply>;
  close(): Promise<void>;
}

function forwardedHeaders(
  headers: IncomingHttpHeaders,
  decision: Decision | undefined,
  ip: string,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || STRIPPED.has(name)) continue;
    out[name] = value;
  }
  const prior = headers['x-forwarded-for'];
  out['x-forwarded-for'] = prior ? `${Array.isArray(prior) ? prior.join(', ') : prior}, ${ip}` : ip;
  if (decision) {
    out['x-request-id'] = decision.requestId;
    if (decision.key) {
      out['x-keywatch-key-id'] = decision.key.id;
      out['x-keywatch-tenant-id'] = decision.key.tenant_id;
    }
    if (decision.scope) out['x-keywatch-scope'] = decision.scope;
    // Let through on a fail-open route without Redis: the upstream may want to be careful.
    if (decision.degraded) out['x-keywatch-degraded'] = decision.degraded;
  }
  return out;
}

/**
 * A reverse proxy to `upstreamUrl` (its path, if any, is prepended) with undici. Upstream errors
 * and timeouts become 502/504 JSON answers; the auth event then carries that status.
 */
export function createProxy(
  upstreamUrl: string,
  logger: Logger,
  options: { connections?: number; timeoutMs?: number } = {},
): Proxy {
  const base = new URL(upstreamUrl);
  const basePath = base.pathname.replace(/\/$/, '');
  const timeoutMs = options.timeoutMs ?? 30_000;
  const pool = new Pool(base.origin, {
    connections: options.connections ?? 128,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    keepAliveTimeout: 10_000,
  });
  return {
    async forward(request, reply, decision) {
      const body = Buffer.isBuffer(request.body) && request.body.length > 0 ? request.body : undefined;
      try {
        const response = await pool.request({
          method: request.method,
          path: basePath + request.url,
          headers: forwardedHeaders(request.headers, decision, decision?.ip ?? request.ip),
          body,
        });
        const headers: Record<string, string | string[]> = {};
        for (const [name, value] of Object.entries(response.headers)) {
          if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
        }
        // eslint-disable-next-line @typescript-eslint/return-await -- a FastifyReply is thenable; awaiting it would wait for the response to be sent
        return reply.code(response.statusCode).headers(headers).send(response.body);
      } catch (error) {
        const timedOut = error instanceof Error && /timeout/i.test(error.name + error.message);
        logger.warn({ err: error, request_id: decision?.requestId ?? null, upstream: base.origin }, 'upstream failed');
        return reply.code(timedOut ? 504 : 502).send({
          error: { code: timedOut ? 'upstream_timeout' : 'bad_gateway', message: 'the upstream did not answer' },
        });
      }
    },
    close: () => pool.close(),
  };
}
