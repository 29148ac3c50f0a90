import { createHash, timingSafeEqual } from 'node:crypto';
import { hashKey, keyFingerprint, parseKey, type KeyEnvironment, type KeyType, type Scope } from '@keywatch/contracts';
import { effectiveState, type KeyRecord, type KeyStore } from '@keywatch/keystore';
import { keyRefusal, REFUSAL_STATUS, type KeyRefusal, type Refusal } from './check.js';

/** Who authenticated: the platform root key, or a tenant's key. */
export type KeyCaller = { kind: 'root' } | { kind: 'key'; key: KeyRecord };

/** Type and environment, from a well-formed credential's prefix. */
export interface KeyKind {
  type: KeyType;
  environment: KeyEnvironment;
}

/** What {@link createKeyAuthenticator} decided, for the response and for the auth event. */
export type KeyAuthentication =
  | { ok: true; caller: KeyCaller; fingerprint: string | null; parsed: KeyKind }
  | {
      ok: false;
      outcome: Exclude<Refusal, 'rate_limited'>;
      status: 401 | 403;
      message: string;
      fingerprint: string | null;
      key?: KeyRecord;
      parsed?: KeyKind;
    };

/** Options of {@link createKeyAuthenticator}. */
export interface KeyAuthenticatorOptions {
  store: Pick<KeyStore, 'getByHash'>;
  /** KEYWATCH_ROOT_KEY: acts on every tenant; unset or empty: no root key. */
  rootKey?: string;
  /** Deployment secret for fingerprints of presented credentials; unset: results carry none. */
  fingerprintSecret?: string;
  /** KEYWATCH_KEY_PEPPER, when the key service uses one. */
  pepper?: string;
  now?: () => Date;
}

/** One call to Keywatch's own APIs. */
export interface KeyAuthRequest {
  /** See `presentedCredential`. */
  credential: string | null;
  scope: Scope;
  /** The client address, checked against the key's `allowed_ips`; omitted: not checked. */
  ip?: string;
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * True when `credential` is the root key. Compares SHA-256 digests so the comparison takes the
 * same time whatever the key (and whatever its length).
 */
export function rootKeyMatcher(rootKey: string | undefined): (credential: string) => boolean {
  if (!rootKey) return () => false;
  const rootDigest = digest(rootKey);
  return (credential) => timingSafeEqual(digest(credential), rootDigest);
}

/**
 * Authenticates callers of Keywatch's own APIs (key service, analytics API): the root key, or a
 * secret key of a tenant, looked up by its hash (no cache), effectively active and holding the
 * scope. Order: present → well-formed → root → known → {@link keyRefusal}.
 */
export function createKeyAuthenticator(
  options: KeyAuthenticatorOptions,
): (request: KeyAuthRequest) => Promise<KeyAuthentication> {
  const isRoot = rootKeyMatcher(options.rootKey);
  const secret = options.fingerprintSecret;
  return async function authenticate({ credential, scope, ip }) {
    if (credential === null)
      return {
        ok: false,
        outcome: 'missing_key',
        status: 401,
        message: 'send a secret key as Authorization: Bearer <key>',
        fingerprint: null,
      };
    const fingerprint = secret === undefined ? null : keyFingerprint(secret, credential);
    const parsed = parseKey(credential);
    if (!parsed.ok)
      return { ok: false, outcome: 'malformed_key', status: 401, message: 'the key is malformed', fingerprint };
    const kind: KeyKind = { type: parsed.type, environment: parsed.environment };
    if (isRoot(credential)) return { ok: true, caller: { kind: 'root' }, fingerprint, parsed: kind };
    const key = await options.store.getByHash(hashKey(credential, options.pepper));
    if (!key)
      return { ok: false, outcome: 'unknown_key', status: 401, message: 'unknown key', fingerprint, parsed: kind };
    const now = options.now?.() ?? new Date();
    const refusal = keyRefusal(key, { now, ip, scope, secretOnly: true });
    if (refusal === null) return { ok: true, caller: { kind: 'key', key }, fingerprint, parsed: kind };
    return {
      ok: false,
      outcome: refusal,
      status: REFUSAL_STATUS[refusal],
      message: refusalMessage(refusal, key, now, scope),
      fingerprint,
      key,
      parsed: kind,
    };
  };
}

function refusalMessage(refusal: KeyRefusal, key: KeyRecord, now: Date, scope: Scope): string {
  switch (refusal) {
    case 'revoked_key':
      return 'this key was revoked';
    case 'expired_key':
      return 'this key has expired';
    case 'inactive_key':
      return `this key is ${effectiveState(key, now)}`;
    case 'ip_not_allowed':
      return 'this key may not be used from this address';
    // Not asked of Keywatch's own APIs (they name neither an environment nor an origin).
    case 'environment_mismatch':
      return 'this key belongs to another environment';
    case 'origin_not_allowed':
      return 'this key may not be used from this origin';
    case 'insufficient_scope':
      return `this call needs a secret key with ${scope}`;
  }
}
