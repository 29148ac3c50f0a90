import type { IncomingHttpHeaders } from 'node:http';
import { performance } from 'node:perf_hooks';
import { newEventId, toEventTime, type AuthEvent, type Scope } from '@keywatch/contracts';
import type { Logger } from '@keywatch/logger';
import { rateLimitHeaders } from '@keywatch/ratelimit';
import { presentedCredential } from '@keywatch/key-auth';
import { createRouteTable, type RedisFailurePolicy, type RouteRule, type RouteTable } from './routes.js';
import {
  createVerifier,
  pendingVerification,
  unverifiable,
  type Verification,
  type Verifier,
  type VerifierOptions,
} from './verifier.js';

/** Options of {@link createKeywatch}: the verifier's, plus what the HTTP layer needs. */
export interface KeywatchOptions extends VerifierOptions {
  /** This instance's id, written as `gateway_id` in every auth event. */
  gatewayId: string;
  /** The route → scope table (rules, or a table from `createRouteTable`). */
  routes: readonly RouteRule[] | RouteTable;
  /**
   * Receives one auth event per decided request, after the response: pass
   * `(event) => emitter.emit(event)` of an `@keywatch/auth-emitter` (bounded, never blocking).
   */
  emit: (event: AuthEvent) => void;
  /** Called once per request with the verification and the final status (metrics). Must not throw. */
  onDecision?: (decision: Decision, status: number) => void;
}

/** A request as the middlewares see it. */
export interface RequestInfo {
  method: string;
  /** The raw request target (path and query). */
  url: string;
  headers: IncomingHttpHeaders;
  /** Client address (see `clientIp`). */
  ip: string;
  requestId: string;
  /**
   * When the framework already knows the route template and scope (a Fastify route's
   * `config.keywatch`), they win over the route table.
   */
  route?: { route: string; scope: Scope | null; redisFailure?: RedisFailurePolicy };
}

/** A verified request: what to answer and what to report. */
export interface Decision extends Verification {
  requestId: string;
  method: string;
  /** The matched route template, or `/*` when no rule matched (then answered 404 when allowed). */
  route: string;
  scope: Scope | null;
  /** No rule matched: an allowed request is answered 404 by the middleware, never forwarded. */
  unmatched: boolean;
  ip: string;
  origin: string | null;
  userAgent: string | null;
  /** `RateLimit-*` (and `Retry-After` on 429) when a limit was applied. */
  headers: Record<string, string>;
  /** performance.now() when the request arrived. */
  startedAt: number;
  /** When the decision was taken: the auth event's `ts`. */
  decidedAt: Date;
  /** Milliseconds from arrival to decision (route match, verification, rate limit). */
  decisionMs: number;
}

/** The verification pipeline shared by the middlewares. */
export interface Keywatch {
  /** Route lookup, verification and rate limit for one request. Never rejects. */
  authorize(request: RequestInfo): Promise<Decision>;
  /** Reports the request (one auth event) with the status sent. Idempotent per decision. */
  finish(decision: Decision, status: number): void;
  /** The error body for a refused decision: `{ error: { code, message } }`. */
  errorBody(decision: Decision): { error: { code: string; message: string } };
  readonly verifier: Verifier;
  readonly routes: RouteTable;
  readonly gatewayId: string;
}

let lastEventMs = -1;
let lastEventTime = '';

/** `toEventTime(ms)`, formatted once per millisecond: a busy gateway decides many requests in each. */
function eventTime(ms: number): string {
  if (ms !== lastEventMs) {
    lastEventMs = ms;
    lastEventTime = toEventTime(ms);
  }
  return lastEventTime;
}

function headerValue(value: string | string[] | undefined): string | null {
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? null : first;
}

/**
 * Creates the pipeline: match the route, verify the key (see {@link createVerifier} for the order
 * of checks), and, after the response, emit the auth event. Mount it with `keywatchFastify` or
 * `keywatchMiddleware` (node:http / Express).
 */
export function createKeywatch(options: KeywatchOptions): Keywatch {
  const routes = 'match' in options.routes ? options.routes : createRouteTable(options.routes);
  const verifier = createVerifier(options);
  const log: Logger = options.logger.child({ component: 'keywatch', gateway_id: options.gatewayId });
  const finished = new WeakSet<Decision>();
  const debug = log.isLevelEnabled('debug');
  const trace = log.isLevelEnabled('trace');

  return {
    verifier,
    routes,
    gatewayId: options.gatewayId,
    async authorize(request) {
      const startedAt = performance.now();
      const match = request.route ?? routes.match(request.method, request.url);
      const origin = headerValue(request.headers.origin);
      let verification: Verification;
      try {
        verification = await verifier.verify({
          credential: presentedCredential(request.headers),
          ip: request.ip,
          origin,
          scope: match?.scope ?? null,
          redisFailure: match?.redisFailure ?? 'closed',
        });
      } catch (error) {
        // verify handles Redis itself; this is a bug or a corrupt record. Fail closed.
        log.error({ err: error, request_id: request.requestId }, 'verification failed unexpectedly');
        const base = pendingVerification();
        verification = unverifiable(base, 'verification_failed');
      }
      const headers: Record<string, string> = verification.rateLimit
        ? rateLimitHeaders(verification.rateLimit)
        : verification.retryAfterSeconds !== null
          ? { 'Retry-After': String(verification.retryAfterSeconds) }
          : {};
      return {
        ...verification,
        requestId: request.requestId,
        method: request.method,
        route: match?.route ?? '/*',
        scope: match?.scope ?? null,
        unmatched: match === null,
        ip: request.ip,
        origin,
        userAgent: headerValue(request.headers['user-agent']),
        headers,
        startedAt,
        decidedAt: new Date(),
        decisionMs: performance.now() - startedAt,
      };
    },
    finish(decision, status) {
      if (finished.has(decision)) return;
      finished.add(decision);
      try {
        options.onDecision?.(decision, status);
      } catch {
        // metrics must not break the response path
      }
      const latency = Math.max(0, Math.round((performance.now() - decision.startedAt) * 1000) / 1000);
      // Ids, never the credential: the fingerprint identifies unknown keys. (Guarded: building
      // these objects for a disabled level cost measurable CPU per request.)
      if (debug)
        log.debug(
          {
            request_id: decision.requestId,
            key_id: decision.key?.id ?? null,
            tenant_id: decision.key?.tenant_id ?? null,
            key_fingerprint: decision.fingerprint,
            outcome: decision.outcome,
            status,
            method: decision.method,
            route: decision.route,
            ip: decision.ip,
            cache: decision.cache,
            degraded: decision.degraded,
            latency_ms: latency,
          },
          'request',
        );
      if (trace)
        log.trace(
          {
            request_id: decision.requestId,
            user_agent: decision.userAgent,
            origin: decision.origin,
            decision_ms: decision.decisionMs,
          },
          'request details',
        );
      const decidedMs = decision.decidedAt.getTime();
      options.emit({
        v: 1,
        event_id: newEventId(decidedMs),
        ts: eventTime(decidedMs),
        gateway_id: options.gatewayId,
        request_id: decision.requestId,
        tenant_id: decision.key?.tenant_id ?? null,
        key_id: decision.key?.id ?? null,
        key_type: decision.kind?.type ?? null,
        environment: decision.kind?.environment ?? null,
        key_fingerprint: decision.fingerprint,
        outcome: decision.outcome,
        scope: decision.scope,
        method: decision.method,
        route: decision.route,
        status,
        latency_ms: latency,
        ip: decision.ip,
        user_agent: decision.userAgent,
        origin: decision.origin,
        rate_limit: decision.rateLimit
          ? {
              limit: decision.rateLimit.limit,
              remaining: Math.max(0, Math.floor(decision.rateLimit.remaining)),
              window_s: Math.max(1, Math.round(decision.rateLimit.window_s)),
            }
          : null,
      });
    },
    errorBody(decision) {
      if (decision.unmatched && decision.outcome === 'allowed')
        return { error: { code: 'not_found', message: `no route ${decision.method} for this path` } };
      return { error: { code: decision.outcome, message: decision.message } };
    },
  };
}
