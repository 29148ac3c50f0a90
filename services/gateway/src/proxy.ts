import type { IncomingHttpHeaders } from 'node:http';
import type { Decision } from '@keywatch/gateway-sdk';
import type { Logger } from '@keywatch/logger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { Pool, util, type Dispatcher } from 'undici';

/** An answer of the upstream: a body of one piece (small, with its length known) or a stream. */
interface Upstream {
  statusCode: number;
  headers: Record<string, string | string[]>;
  body: Buffer | Readable;
}

// A body up to this size with its content-length announced arrives whole (usually in one read)
// and is handed on as one Buffer: no Readable, no pipe, one write to the client.
const ONE_PIECE_BYTES = 64 * 1024;
const EMPTY = Buffer.alloc(0);

/**
 * One request through undici's lowest-level API (`dispatch`, its handler interface that 7.x's
 * Client accepts): `request()` wraps every answer in a Readable and a promise chain. Larger
 * bodies and bodies of unknown length stream, paced by the client (pause/resume).
 */
function send(pool: Pool, options: Dispatcher.DispatchOptions): Promise<Upstream> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let pieces: Buffer[] | undefined;
    let stream: Readable | undefined;
    let head: Omit<Upstream, 'body'> | undefined;
    /* eslint-disable @typescript-eslint/no-deprecated -- undici 7.30's Client.dispatch still asserts this
       handler interface (the newer onResponse* one fails with "invalid onConnect method") */
    pool.dispatch(options, {
      onConnect() {},
      onHeaders(statusCode, raw, resume) {
        if (statusCode < 200) return true; // 1xx: the final answer follows
        const parsed = util.parseHeaders(raw) as Record<string, string | string[] | undefined>;
        const headers: Record<string, string | string[]> = {};
        for (const [name, value] of Object.entries(parsed)) {
          if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
        }
        head = { statusCode, headers };
        const length = Number(parsed['content-length']);
        if (Number.isInteger(length) && length >= 0 && length <= ONE_PIECE_BYTES) {
          pieces = [];
          return true;
        }
        stream = new Readable({ read: () => resume() });
        settled = true;
        resolve({ ...head, body: stream });
        return true;
      },
      onData(chunk) {
        if (pieces) pieces.push(chunk);
        // false pauses the socket until the client reads on (read() resumes it).
        else if (stream) return stream.push(chunk);
        return true;
      },
      onComplete() {
        if (stream) {
          stream.push(null);
          return;
        }
        if (!head) return;
        settled = true;
        const body = !pieces || pieces.length === 0 ? EMPTY : pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
        resolve({ ...head, body });
      },
      onError(error) {
        if (!settled) {
          settled = true;
          reject(error);
        } else stream?.destroy(error);
      },
    });
    /* eslint-enable @typescript-eslint/no-deprecated */
  });
}

// Hop-by-hop headers (RFC 9110 section 7.6.1).
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);
// Of a request, also what the pool sets itself (the upstream's host, the body's length). A
// response keeps its content-length: the body is streamed through unchanged, and without it every
// answer went out chunked.
const REQUEST_HOP = new Set([...HOP_BY_HOP, 'host', 'content-length']);
// The credential never leaves the gateway: the upstream learns the key id and tenant instead.
const STRIPPED = new Set([
  ...REQUEST_HOP,
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
        const response = await send(pool, {
          method: request.method,
          path: basePath + request.url,
          headers: forwardedHeaders(request.headers, decision, decision?.ip ?? request.ip),
          body,
        });
        // eslint-disable-next-line @typescript-eslint/return-await -- a FastifyReply is thenable; awaiting it would wait for the response to be sent
        return reply.code(response.statusCode).headers(response.headers).send(response.body);
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
