import net from 'node:net';
import type { Scope } from '@keywatch/contracts';
import { createKeyAuthenticator, presentedCredential, type KeyAuthentication } from '@keywatch/key-auth';
import type { KeyStore } from '@keywatch/keystore';
import type { FastifyRequest } from 'fastify';

/** What authentication decided, for the response and for the auth event. */
export type AuthResult = KeyAuthentication;

/**
 * The caller's address: Fastify's `request.ip` (which honours X-Forwarded-For only from the
 * configured trusted proxies), or the socket's address if that is not an IP at all.
 */
export function clientAddress(request: FastifyRequest): string {
  if (net.isIP(request.ip) !== 0) return request.ip;
  return request.socket.remoteAddress ?? '0.0.0.0';
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

/** Verifies admin callers (`@keywatch/key-auth`): the root key, or an active secret key of a tenant holding the scope, used from an allowed address. */
export function createAuthenticator(options: AuthenticatorOptions) {
  const authenticate = createKeyAuthenticator(options);
  return (request: FastifyRequest, scope: Scope): Promise<AuthResult> =>
    authenticate({ credential: presentedCredential(request.headers), scope, ip: clientAddress(request) });
}

export type Authenticate = ReturnType<typeof createAuthenticator>;
