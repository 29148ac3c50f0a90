import net from 'node:net';

/** Request headers as node:http and Fastify give them. */
export type RequestHeaders = Readonly<Record<string, string | string[] | undefined>>;

/**
 * The credential a client presented: `Authorization: Bearer <key>` (an Authorization header in
 * another scheme is returned whole, so it is answered `malformed_key`), else `X-Api-Key`, else null.
 */
export function presentedCredential(headers: RequestHeaders): string | null {
  const authorization = headers.authorization;
  if (typeof authorization === 'string' && authorization.trim() !== '') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return match?.[1] ?? authorization.trim();
  }
  const apiKey = headers['x-api-key'];
  const value = Array.isArray(apiKey) ? apiKey[0] : apiKey;
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

/** `::ffff:203.0.113.7` → `203.0.113.7`; anything else unchanged. */
export function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') && net.isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
}

/**
 * Which proxies' `X-Forwarded-For` to believe: `false` none (default); a list of addresses or CIDR
 * blocks — the header is read only when the connection comes from one of them, right to left,
 * skipping the listed proxies, so a client cannot choose its own address; `true` the client-most
 * entry of any connection (only behind a proxy of yours that overwrites the header).
 */
export type TrustProxy = boolean | readonly string[];

/** The client address, by the {@link TrustProxy} rule; the socket's peer when the header is absent, invalid or not believed. */
export function clientIp(headers: RequestHeaders, socketAddress: string | undefined, trustProxy: TrustProxy): string {
  const peer = normalizeIp(socketAddress ?? '0.0.0.0');
  if (trustProxy === false || (Array.isArray(trustProxy) && trustProxy.length === 0)) return peer;
  const header = headers['x-forwarded-for'];
  const hops = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  if (trustProxy === true) {
    const first = hops[0] ?? '';
    return net.isIP(first) !== 0 ? normalizeIp(first) : peer;
  }
  const trusted = trustProxy as readonly string[];
  if (!ipAllowed(peer, trusted)) return peer;
  for (let i = hops.length - 1; i >= 0; i -= 1) {
    const hop = hops[i] ?? '';
    if (net.isIP(hop) === 0) return peer;
    const address = normalizeIp(hop);
    if (!ipAllowed(address, trusted)) return address;
  }
  return peer;
}

const compiled = new WeakMap<readonly string[], net.BlockList>();

function compile(allowed: readonly string[]): net.BlockList {
  let list = compiled.get(allowed);
  if (list) return list;
  list = new net.BlockList();
  for (const entry of allowed) {
    const [address = '', bits] = entry.split('/');
    const family = net.isIPv6(address) ? 'ipv6' : 'ipv4';
    try {
      if (bits === undefined) list.addAddress(address, family);
      else list.addSubnet(address, Number(bits), family);
    } catch {
      // An entry that does not parse allows nothing (the key service validates them; fail closed).
    }
  }
  compiled.set(allowed, list);
  return list;
}

/**
 * True when `ip` is inside one of `allowed` (IPv4/IPv6 addresses and CIDR blocks); an empty list
 * allows every address. IPv4-mapped IPv6 addresses are checked as IPv4. The compiled list is
 * memoized per array, so a cached key record compiles its list once.
 */
export function ipAllowed(ip: string, allowed: readonly string[]): boolean {
  if (allowed.length === 0) return true;
  const candidate = normalizeIp(ip);
  const family = net.isIP(candidate);
  if (family === 0) return false;
  return compile(allowed).check(candidate, family === 6 ? 'ipv6' : 'ipv4');
}

function canonicalOrigin(origin: string): string {
  try {
    return new URL(origin).origin;
  } catch {
    return origin;
  }
}

/**
 * True when the request may come from `origin` under `allowed` (bare origins such as
 * `https://app.example.com`): an empty list allows any; a request without an `Origin` header is
 * not a browser request and is allowed (a non-browser client can send any Origin it likes, so
 * demanding one would add nothing); otherwise the origin must be in the list (`null` never is).
 */
export function originAllowed(origin: string | null, allowed: readonly string[]): boolean {
  if (allowed.length === 0 || origin === null) return true;
  const wanted = canonicalOrigin(origin);
  return allowed.some((entry) => canonicalOrigin(entry) === wanted);
}
