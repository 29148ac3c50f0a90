import { useEffect, useState } from 'react';

// Hash routes (`#/keys/key_…`): the server needs no fallback route, and nothing secret is ever in them.

/** The filters of the Requests page, as they stand in its URL (`#/requests?key_id=…&from=…`). */
export const REQUEST_FILTERS = [
  'key_id',
  'ip',
  'country',
  'outcome',
  'status',
  'route',
  'scope',
  'from',
  'to',
] as const;
export type RequestFilters = Partial<Record<(typeof REQUEST_FILTERS)[number], string>>;

/** The filters of the Keys page. */
export interface KeyFilters {
  q?: string;
  status?: string;
  environment?: string;
}

export type Route =
  | { page: 'overview' }
  | { page: 'keys'; filters: KeyFilters }
  | { page: 'key'; id: string }
  | { page: 'alerts'; keyId?: string; severity?: string }
  | { page: 'requests'; filters: RequestFilters }
  | { page: 'suppressions' }
  | { page: 'webhooks' }
  | { page: 'policy' }
  | { page: 'audit'; keyId?: string };

export function parseRoute(hash: string): Route {
  const [path = '', search = ''] = hash.replace(/^#/, '').split('?', 2);
  const params = new URLSearchParams(search);
  const parts = path.split('/').filter(Boolean);
  const param = (name: string) => params.get(name) ?? undefined;
  if (parts[0] === 'keys' && parts[1]) return { page: 'key', id: decodeURIComponent(parts[1]) };
  if (parts[0] === 'keys')
    return { page: 'keys', filters: { q: param('q'), status: param('status'), environment: param('environment') } };
  if (parts[0] === 'alerts') return { page: 'alerts', keyId: param('key_id'), severity: param('severity') };
  if (parts[0] === 'requests') {
    const filters: RequestFilters = {};
    for (const name of REQUEST_FILTERS) {
      const value = params.get(name);
      if (value) filters[name] = value;
    }
    return { page: 'requests', filters };
  }
  if (parts[0] === 'suppressions') return { page: 'suppressions' };
  if (parts[0] === 'webhooks') return { page: 'webhooks' };
  if (parts[0] === 'policy') return { page: 'policy' };
  if (parts[0] === 'audit') return { page: 'audit', keyId: param('key_id') };
  return { page: 'overview' };
}

function withQuery(path: string, params: Record<string, string | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value) search.set(name, value);
  const text = search.toString();
  return text ? `${path}?${text}` : path;
}

export const href = {
  overview: () => '#/',
  keys: (filters: KeyFilters = {}) => withQuery('#/keys', { ...filters }),
  key: (id: string) => `#/keys/${encodeURIComponent(id)}`,
  alerts: (keyId?: string) => (keyId ? `#/alerts?key_id=${encodeURIComponent(keyId)}` : '#/alerts'),
  requests: (filters: RequestFilters = {}) => withQuery('#/requests', filters),
  suppressions: () => '#/suppressions',
  webhooks: () => '#/webhooks',
  policy: () => '#/policy',
  audit: (keyId?: string) => (keyId ? `#/audit?key_id=${encodeURIComponent(keyId)}` : '#/audit'),
};

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}
