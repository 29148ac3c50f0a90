import { useEffect, useState } from 'react';

// Hash routes (`#/keys/key_…`): the server needs no fallback route, and nothing secret is ever in them.

export type Route =
  | { page: 'overview' }
  | { page: 'key'; id: string }
  | { page: 'alerts'; keyId?: string; severity?: string }
  | { page: 'audit'; keyId?: string };

export function parseRoute(hash: string): Route {
  const [path = '', search = ''] = hash.replace(/^#/, '').split('?', 2);
  const params = new URLSearchParams(search);
  const parts = path.split('/').filter(Boolean);
  if (parts[0] === 'keys' && parts[1]) return { page: 'key', id: decodeURIComponent(parts[1]) };
  if (parts[0] === 'alerts')
    return { page: 'alerts', keyId: params.get('key_id') ?? undefined, severity: params.get('severity') ?? undefined };
  if (parts[0] === 'audit') return { page: 'audit', keyId: params.get('key_id') ?? undefined };
  return { page: 'overview' };
}

export const href = {
  overview: () => '#/',
  key: (id: string) => `#/keys/${encodeURIComponent(id)}`,
  alerts: (keyId?: string) => (keyId ? `#/alerts?key_id=${encodeURIComponent(keyId)}` : '#/alerts'),
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
