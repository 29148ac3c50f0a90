import { createHash, timingSafeEqual } from 'node:crypto';
import net from 'node:net';
import { hashKey, keyFingerprint, parseKey, type Outcome, type Scope } from '@keywatch/contracts';
import { effectiveState, type KeyRecord, type KeyStore } from '@keywatch/keystore';
import type { FastifyRequest } from 'fastify';
import type { Caller } from './admin.js';

/** What authentication decided, for the response and for the auth event. */
export type AuthResult =
  | { ok: true; caller: Caller; fingerprint: string; parsed: { type: 'publishable' | 'secret'; environment: 'dev' | 'live' } }
  | { ok: false; outcome: Exclude<Outcome, 'allowed' | 'rate_limited'>; status: 401 | 403; message: string; fingerprint: string | null; key?: KeyRecord; parsed?: { type: 'publishable' | 'secret'; environment: 'dev' | 'live' } };

/** The credential from `Authorization: Bearer …` or `X-Api-Key`, if any. */
export function presentedCredential(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return match?.[1] ?? header.trim();
  }
  const apiKey = request.headers['x-api-key'];
  return typeof apiKey === 'string' && apiKey.trim() !== '' ? apiKey.trim() : null;
}

/**
 * The caller's address: Fastify's `request.ip` (which honours X-Forwarded-For only from the
 * configured trusted proxies), or the socket's address if that is not an IP at all.
 */
export function clientAddress(request: FastifyRequest): string {
  if (net.isIP(request.ip) !== 0) return request.ip;
  return request.socket.remoteAddress ?? '0.0.0.0';
}

function ipAllowed(ip: string, allowed: readonly string[]): boolean {
  if (allowed.length === 0) return true;
  const list = new net.BlockList();
  for (const entry of allowed) {
    const [address = '', bits] = entry.split('/');
    const family = net.isIPv6(address) ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(bits), family);
  }
  const candidate = ip.startsWith('::ffff:') && net.isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
  return list.check(candidate, net.isIPv6(candidate) ? 'ipv6' : 'ipv4');
}

export interface AuthenticatorOptions {
  store: KeyStore;
  /** KEYWATCH_ROOT_KEY: acts on every tenant. */
  rootKey: string;
  /** Deployment secret for fingerprints of presented credentials. */
  fingerprintSecret: string;
  pepper?: string;
  now?: () => Date;
}

/** Verifies admin callers: the root key, or an active secret key of a tenant holding the scope. */
export function createAuthenticator(options: AuthenticatorOptions) {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  const rootDigest = digest(options.rootKey);
  return async function authenticate(request: FastifyRequest, scope: Scope): Promise<AuthResult> {
    const credential = presentedCredential(request);
    if (credential === null) return { ok: false, outcome: 'missing_key', status: 401, message: 'send a secret key as Authorization: Bearer <key>', fingerprint: null };
    const fingerprint = keyFingerprint(options.fingerprintSecret, credential);
    const parsed = parseKey(credential);
    if (!parsed.ok) return { ok: false, outcome: 'malformed_key', status: 401, message: 'the key is malformed', fingerprint };
    const kind = { type: parsed.type, environment: parsed.environment };
    // Compare digests so the comparison takes the same time whatever the key.
    if (timingSafeEqual(digest(credential), rootDigest)) return { ok: true, caller: { kind: 'root' }, fingerprint, parsed: kind };
    const key = await options.store.getByHash(hashKey(credential, options.pepper));
    if (!key) return { ok: false, outcome: 'unknown_key', status: 401, message: 'unknown key', fingerprint, parsed: kind };
    const state = effectiveState(key, options.now?.() ?? new Date());
    const refuse = (outcome: Exclude<Outcome, 'allowed' | 'rate_limited'>, status: 401 | 403, message: string): AuthResult => ({ ok: false, outcome, status, message, fingerprint, key, parsed: kind });
    if (state === 'revoked') return refuse('revoked_key', 401, 'this key was revoked');
    if (state === 'expired') return refuse('expired_key', 401, 'this key has expired');
    if (state === 'deactivated' || state === 'suspended') return refuse('inactive_key', 401, `this key is ${state}`);
    if (!ipAllowed(clientAddress(request), key.allowed_ips)) return refuse('ip_not_allowed', 403, 'this key may not be used from this address');
    if (key.type !== 'secret' || !key.scopes.includes(scope)) return refuse('insufficient_scope', 403, `this call needs a secret key with ${scope}`);
    return { ok: true, caller: { kind: 'key', key }, fingerprint, parsed: kind };
  };
}

export type Authenticate = ReturnType<typeof createAuthenticator>;
