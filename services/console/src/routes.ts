import type { Capabilities } from './sessions.js';
import type { UpstreamName } from './upstream.js';

/**
 * One route of the console's same-origin API: `/api/<path>` is `/v1/<path>` on `target`, with the
 * query string passed through (the upstream validates it). Nothing else is proxied.
 */
export interface ProxyRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Fastify pattern under `/api`, e.g. `/api/keys/:id`. */
  url: string;
  target: UpstreamName;
  /** The capability the UI needs for it; without it the console answers 403 without calling out. */
  needs: keyof Capabilities;
  /** For POST, PUT and PATCH: the body fields passed on (others are dropped). */
  bodyFields?: readonly string[];
}

const KEY_FIELDS = ['name', 'scopes', 'allowed_ips', 'allowed_origins', 'rate_limit'] as const;

export const PROXY_ROUTES: readonly ProxyRoute[] = [
  // analytics API: usage analytics and request search
  { method: 'GET', url: '/api/analytics/keys', target: 'analytics', needs: 'analytics' },
  { method: 'GET', url: '/api/analytics/keys/:id/usage', target: 'analytics', needs: 'analytics' },
  { method: 'GET', url: '/api/analytics/keys/:id/errors', target: 'analytics', needs: 'analytics' },
  { method: 'GET', url: '/api/analytics/keys/:id/geo', target: 'analytics', needs: 'analytics' },
  { method: 'GET', url: '/api/analytics/keys/:id/features', target: 'analytics', needs: 'analytics' },
  { method: 'GET', url: '/api/requests', target: 'analytics', needs: 'analytics' },
  // analytics API: alerts (reading needs audit:read, changing keys:manage), suppressions, trusted networks
  { method: 'GET', url: '/api/alerts', target: 'analytics', needs: 'audit' },
  { method: 'GET', url: '/api/alerts/:id', target: 'analytics', needs: 'audit' },
  { method: 'POST', url: '/api/alerts/:id/ack', target: 'analytics', needs: 'manage', bodyFields: ['note'] },
  { method: 'POST', url: '/api/alerts/:id/resolve', target: 'analytics', needs: 'manage', bodyFields: ['note'] },
  {
    method: 'POST',
    url: '/api/alerts/:id/dismiss',
    target: 'analytics',
    needs: 'manage',
    bodyFields: ['reason', 'suppress', 'note'],
  },
  { method: 'POST', url: '/api/alerts/:id/confirm', target: 'analytics', needs: 'manage', bodyFields: ['note'] },
  { method: 'GET', url: '/api/suppressions', target: 'analytics', needs: 'audit' },
  {
    method: 'POST',
    url: '/api/suppressions',
    target: 'analytics',
    needs: 'manage',
    bodyFields: ['type', 'key_id', 'cidr', 'expires_at', 'reason'],
  },
  { method: 'DELETE', url: '/api/suppressions/:id', target: 'analytics', needs: 'manage' },
  { method: 'GET', url: '/api/trusted-networks', target: 'analytics', needs: 'audit' },
  { method: 'PUT', url: '/api/trusted-networks', target: 'analytics', needs: 'manage', bodyFields: ['cidrs'] },
  // key service: keys, audit, trigger policy
  { method: 'GET', url: '/api/keys', target: 'keys', needs: 'manage' },
  {
    method: 'POST',
    url: '/api/keys',
    target: 'keys',
    needs: 'manage',
    bodyFields: ['type', 'environment', 'expires_at', ...KEY_FIELDS],
  },
  { method: 'GET', url: '/api/keys/:id', target: 'keys', needs: 'manage' },
  { method: 'PATCH', url: '/api/keys/:id', target: 'keys', needs: 'manage', bodyFields: KEY_FIELDS },
  { method: 'POST', url: '/api/keys/:id/rotate', target: 'keys', needs: 'manage', bodyFields: ['grace_period_s'] },
  { method: 'POST', url: '/api/keys/:id/deactivate', target: 'keys', needs: 'manage', bodyFields: ['reason'] },
  { method: 'POST', url: '/api/keys/:id/reactivate', target: 'keys', needs: 'manage', bodyFields: ['reason'] },
  { method: 'POST', url: '/api/keys/:id/revoke', target: 'keys', needs: 'manage', bodyFields: ['reason'] },
  { method: 'GET', url: '/api/audit', target: 'keys', needs: 'audit' },
  { method: 'GET', url: '/api/policy', target: 'keys', needs: 'manage' },
  {
    method: 'PUT',
    url: '/api/policy',
    target: 'keys',
    needs: 'manage',
    bodyFields: ['mode', 'allow_live_revoke', 'max_actions_per_hour'],
  },
  // key service: alert destinations (webhooks:manage)
  { method: 'GET', url: '/api/webhooks', target: 'keys', needs: 'webhooks' },
  {
    method: 'POST',
    url: '/api/webhooks',
    target: 'keys',
    needs: 'webhooks',
    bodyFields: ['url', 'kind', 'min_severity', 'types'],
  },
  { method: 'DELETE', url: '/api/webhooks/:id', target: 'keys', needs: 'webhooks' },
  {
    method: 'POST',
    url: '/api/webhooks/:id/rotate-secret',
    target: 'keys',
    needs: 'webhooks',
    bodyFields: ['grace_period_s'],
  },
  { method: 'GET', url: '/api/webhooks/:id/deliveries', target: 'keys', needs: 'webhooks' },
  {
    method: 'POST',
    url: '/api/webhooks/:id/deliveries/:delivery_id/replay',
    target: 'keys',
    needs: 'webhooks',
    bodyFields: [],
  },
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
