import { createHash, timingSafeEqual } from 'node:crypto';
import { hashKey, parseKey, type Scope } from '@keywatch/contracts';
import { effectiveState, type KeyStore } from '@keywatch/keystore';
import { ApiError } from '@keywatch/http-api';

/** Who asks: a tenant's key, or the platform root key (any tenant). */
export type Caller = { kind: 'tenant'; tenantId: string; keyId: string } | { kind: 'root' };

export interface AuthenticatorOptions {
  store: KeyStore;
  pepper?: string;
  rootKey?: string;
  now?: () => Date;
}

/** The credential from `Authorization: Bearer …` or `X-Api-Key`, if any. */
export function presentedCredential(headers: Record<string, string | string[] | undefined>): string | null {
  const header = headers.authorization;
  if (typeof header === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return match?.[1] ?? header.trim();
  }
  const apiKey = headers['x-api-key'];
  return typeof apiKey === 'string' && apiKey.trim() !== '' ? apiKey.trim() : null;
}

/**
 * Authenticates a caller of the analytics API: the presented key is looked up by its hash in the
 * keystore (as the key service does), must be effectively active (or rotating, within its grace
 * period), a secret key, and hold the route's scope (`analytics:read` unless named; the alert
 * routes need `audit:read`). Its tenant is the only one it can read.
 */
export function createAuthenticator(options: AuthenticatorOptions) {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  const rootDigest = options.rootKey ? digest(options.rootKey) : undefined;
  return async function authenticate(headers: Record<string, string | string[] | undefined>, scope: Scope = 'analytics:read'): Promise<Caller> {
    const credential = presentedCredential(headers);
    if (credential === null) throw new ApiError(401, 'missing_key', `send a secret key with ${scope} as Authorization: Bearer <key>`);
    if (!parseKey(credential).ok) throw new ApiError(401, 'malformed_key', 'the key is malformed');
    if (rootDigest && timingSafeEqual(digest(credential), rootDigest)) return { kind: 'root' };
    const key = await options.store.getByHash(hashKey(credential, options.pepper));
    if (!key) throw new ApiError(401, 'unknown_key', 'unknown key');
    const state = effectiveState(key, options.now?.() ?? new Date());
    if (state === 'revoked') throw new ApiError(401, 'revoked_key', 'this key was revoked');
    if (state === 'expired') throw new ApiError(401, 'expired_key', 'this key has expired');
    if (state === 'deactivated' || state === 'suspended') throw new ApiError(401, 'inactive_key', `this key is ${state}`);
    if (key.type !== 'secret' || !key.scopes.includes(scope)) throw new ApiError(403, 'insufficient_scope', `this call needs a secret key with ${scope}`);
    return { kind: 'tenant', tenantId: key.tenant_id, keyId: key.id };
  };
}

export type Authenticate = ReturnType<typeof createAuthenticator>;
