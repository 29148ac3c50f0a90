import type { Scope } from '@keywatch/contracts';
import { ApiError } from '@keywatch/http-api';
import { createKeyAuthenticator, presentedCredential, type RequestHeaders } from '@keywatch/key-auth';
import type { KeyStore } from '@keywatch/keystore';

/** Who asks: a tenant's key, or the platform root key (any tenant). */
export type Caller = { kind: 'tenant'; tenantId: string; keyId: string } | { kind: 'root' };

export interface AuthenticatorOptions {
  store: KeyStore;
  pepper?: string;
  rootKey?: string;
  now?: () => Date;
}

/**
 * Authenticates a caller of the analytics API (`@keywatch/key-auth`, as the key service does):
 * the presented key must be effectively active (or rotating, within its grace period), a secret
 * key, and hold the route's scope (`analytics:read` unless named; the alert routes need
 * `audit:read`). Its tenant is the only one it can read. Allowlisted addresses are not checked here.
 */
export function createAuthenticator(options: AuthenticatorOptions) {
  const authenticate = createKeyAuthenticator(options);
  return async function authenticateAnalytics(
    headers: RequestHeaders,
    scope: Scope = 'analytics:read',
  ): Promise<Caller> {
    const result = await authenticate({ credential: presentedCredential(headers), scope });
    if (result.ok)
      return result.caller.kind === 'root'
        ? { kind: 'root' }
        : { kind: 'tenant', tenantId: result.caller.key.tenant_id, keyId: result.caller.key.id };
    const message =
      result.outcome === 'missing_key'
        ? `send a secret key with ${scope} as Authorization: Bearer <key>`
        : result.message;
    throw new ApiError(result.status, result.outcome, message);
  };
}

export type Authenticate = ReturnType<typeof createAuthenticator>;
