import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';

/** A resolved address of a destination's host. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to every address it has (default: the system resolver, `dns.lookup` with `all`). */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = async (hostname) =>
  (await lookup(hostname, { all: true, order: 'verbatim' })).map((a) => ({
    address: a.address,
    family: a.family === 6 ? 6 : 4,
  }));

export interface DestinationCheckOptions {
  /**
   * `KEYWATCH_WEBHOOK_ALLOW_PRIVATE=true`: also accept loopback, private (RFC 1918), unique-local,
   * link-local and CGNAT addresses (a receiver on the operator's own network, the tests' local
   * receiver). Cloud metadata endpoints, unspecified, multicast, broadcast and reserved addresses
   * stay refused either way. Default false.
   */
  allowPrivate?: boolean;
  /** Default {@link systemResolver}. Tests pass a table. */
  resolve?: Resolver;
  /** Longest wait for DNS before the host counts as unresolvable (default 5000 ms). */
  resolveTimeoutMs?: number;
}

/** Why a destination URL was refused. */
export type DestinationRefusal =
  'invalid_url' | 'unsupported_scheme' | 'credentials_in_url' | 'unresolvable' | 'forbidden_address';

/**
 * A destination that passed: connect to `address` (never re-resolve `url.hostname`, or a DNS answer
 * changed in between would bypass the check).
 */
export type DestinationCheck =
  { ok: true; url: URL; address: ResolvedAddress } | { ok: false; reason: DestinationRefusal; message: string };

/** Metadata services of the big clouds: refused even when private addresses are allowed. */
const METADATA = new Set(['169.254.169.254', '169.254.170.2', '100.100.100.200', 'fd00:ec2::254', '168.63.129.16']);
/** Ranges `allowPrivate` opens. */
const PRIVATE_RANGES = new Set(['loopback', 'private', 'linkLocal', 'carrierGradeNat', 'uniqueLocal']);
const GLOBAL_UNICAST_V6 = ipaddr.IPv6.parse('2000::');

/**
 * Whether a destination may be connected to at `address`: public unicast only (IPv4 `unicast`,
 * IPv6 `2000::/3` and `unicast`), IPv4-mapped IPv6 judged by its IPv4 address, NAT64/6to4/Teredo
 * (which embed another address) refused; with `allowPrivate` also the private ranges above.
 * Returns the ipaddr.js range name when refused, null when allowed.
 */
export function forbiddenRange(address: string, allowPrivate = false): string | null {
  if (!ipaddr.isValid(address)) return 'invalid';
  let ip = ipaddr.parse(address);
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()) ip = (ip as ipaddr.IPv6).toIPv4Address();
  if (METADATA.has(ip.toString())) return 'metadata';
  const range = ip.range();
  if (range === 'unicast') {
    if (ip.kind() === 'ipv6' && !(ip as ipaddr.IPv6).match(GLOBAL_UNICAST_V6, 3)) return 'reservedV6';
    return null;
  }
  if (allowPrivate && PRIVATE_RANGES.has(range)) return null;
  return range;
}

/**
 * Validates a webhook destination against SSRF, at configuration time and again right before each
 * delivery (DNS can change): `https:` or `http:`, no user or password, a host that resolves, and
 * every address it resolves to allowed by {@link forbiddenRange} (one bad answer refuses the lot,
 * so a host cannot smuggle an internal address in among public ones). The first address is the one
 * to connect to.
 */
export async function checkDestinationUrl(
  raw: string,
  options: DestinationCheckOptions = {},
): Promise<DestinationCheck> {
  const refuse = (reason: DestinationRefusal, message: string): DestinationCheck => ({ ok: false, reason, message });
  if (raw.length > 2048) return refuse('invalid_url', 'the URL is longer than 2048 characters');
  const url = URL.parse(raw);
  if (!url) return refuse('invalid_url', 'not an absolute URL');
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return refuse('unsupported_scheme', 'the URL must use https or http');
  if (url.hostname === '') return refuse('invalid_url', 'the URL has no host');
  if (url.username !== '' || url.password !== '')
    return refuse('credentials_in_url', 'the URL must not carry a user name or password');
  // WHATWG parsing already turned decimal, octal and hex IPv4 forms (http://2130706433/) into dotted quads.
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  let addresses: ResolvedAddress[];
  if (ipaddr.isValid(host)) {
    addresses = [{ address: host, family: host.includes(':') ? 6 : 4 }];
  } else {
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeoutMs = options.resolveTimeoutMs ?? 5000;
      const timeout = new Promise<never>(
        (_, reject) =>
          (timer = setTimeout(() => reject(Object.assign(new Error('timeout'), { code: 'ETIMEOUT' })), timeoutMs)),
      );
      addresses = await Promise.race([(options.resolve ?? systemResolver)(host), timeout]);
    } catch {
      return refuse('unresolvable', `the host ${host} does not resolve`);
    } finally {
      clearTimeout(timer);
    }
    if (addresses.length === 0) return refuse('unresolvable', `the host ${host} has no address`);
  }
  for (const a of addresses) {
    const range = forbiddenRange(a.address, options.allowPrivate ?? false);
    if (range !== null) {
      // A name's answer stays out of the message: it reaches the tenant (422, a delivery's
      // last_error), and internal DNS answers would map the operator's network for them.
      const what = ipaddr.isValid(host)
        ? `${host} is a ${range} address`
        : `the host ${host} resolves to a refused address`;
      return refuse(
        'forbidden_address',
        `${what}; loopback, private, link-local and metadata addresses are refused${options.allowPrivate ? '' : ' unless KEYWATCH_WEBHOOK_ALLOW_PRIVATE=true'}`,
      );
    }
  }
  return { ok: true, url, address: addresses[0]! };
}
