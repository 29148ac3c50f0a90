import type { Capabilities } from './sessions.js';
import type { UpstreamName } from './upstream.js';

/**
 * One route of the console's same-origin API: `/api/<path>` is `/v1/<path>` on `target`, with the
 * query string passed through (the upstream validates it). Nothing else is proxied.
 */
export interface ProxyRoute {
  method: 'GET' | 'POST';
  /** Fastify pattern under `/api`, e.g. `/api/keys/:id`. */
  url: string;
  target: UpstreamName;
  /** The capability the UI needs for it; without it the console answers 403 without calling out. */
  needs: keyof Capabilities;
  /** For POST: the body fields passed on (others are dropped). */
  bodyFields?: readonly string[];
}

export const PROXY_ROUTES: readonly ProxyRoute[] = [
  { method: 'GET', url: '/api/analytics/keys', target: 'analytics', needs: 'analytics' },
  { method: 'GET', url: '/api/analytics/keys/:id/usage', target: 'analytics', needs: 'analytics' },
  { method: 'GET', url: '/api/analytics/keys/:id/errors', target: 'analytics', needs: 'analytics' },
  { method: 'GET', url: '/api/analytics/keys/:id/geo', target: 'analytics', needs: 'analytics' },
  { method: 'GET', url: '/api/analytics/keys/:id/features', target: 'analytics', needs: 'analytics' },
  { method: 'GET', url: '/api/alerts', target: 'analytics', needs: 'audit' },
  { method: 'GET', url: '/api/alerts/:id', target: 'analytics', needs: 'audit' },
  { method: 'POST', url: '/api/alerts/:id/ack', target: 'analytics', needs: 'audit', bodyFields: ['note'] },
  { method: 'POST', url: '/api/alerts/:id/resolve', target: 'analytics', needs: 'audit', bodyFields: ['note'] },
  { method: 'GET', url: '/api/keys', target: 'keys', needs: 'manage' },
  { method: 'GET', url: '/api/keys/:id', target: 'keys', needs: 'manage' },
  { method: 'POST', url: '/api/keys/:id/rotate', target: 'keys', needs: 'manage', bodyFields: ['grace_period_s'] },
  { method: 'POST', url: '/api/keys/:id/deactivate', target: 'keys', needs: 'manage', bodyFields: ['reason'] },
  { method: 'POST', url: '/api/keys/:id/reactivate', target: 'keys', needs: 'manage', bodyFields: ['reason'] },
  { method: 'POST', url: '/api/keys/:id/revoke', target: 'keys', needs: 'manage', bodyFields: ['reason'] },
  { method: 'GET', url: '/api/audit', target: 'keys', needs: 'audit' },
];

/** Ids in paths: key and alert ids are url-safe tokens; anything else (dots, slashes, escapes) is refused. */
export const ID_PATTERN = /^[A-Za-z0-9_:-]{1,128}$/;

/** The upstream path for a request to `/api/…`: `/v1/…` plus the original query string. */
export function upstreamPath(requestUrl: string): string {
  const [path = '', query] = requestUrl.split('?', 2);
  return `/v1${path.slice('/api'.length)}${query === undefined ? '' : `?${query}`}`;
}

/** Only the named fields of a JSON object body; anything else becomes `{}`. */
export function pickBody(body: unknown, fields: readonly string[]): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return {};
  const out: Record<string, unknown> = {};
  for (const field of fields) if (field in body) out[field] = (body as Record<string, unknown>)[field];
  return out;
}
