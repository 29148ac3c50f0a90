import { generateKey, hashKey, keyDisplay, newKeyId, type KeyEnvironment, type KeyType } from '@keywatch/contracts';
import type { NewKey } from './types.js';

/** A fresh key for tests: its record input and the secret it stands for. */
export function newTestKey(overrides: Partial<NewKey> = {}): { key: NewKey; secret: string } {
  const kind: { type: KeyType; environment: KeyEnvironment } = {
    type: overrides.type ?? 'secret',
    environment: overrides.environment ?? 'live',
  };
  const secret = generateKey(kind);
  return {
    secret,
    key: {
      id: newKeyId(),
      hash: hashKey(secret),
      tenant_id: 'tenant_test',
      ...kind,
      name: 'test key',
      scopes: kind.type === 'secret' ? ['subscriptions:read', 'payments:write'] : ['bundles:read'],
      ...keyDisplay(secret),
      expires_at: null,
      allowed_ips: ['203.0.113.0/24'],
      allowed_origins: [],
      rate_limit: { limit: 100, window_s: 60 },
      ...overrides,
    },
  };
}

/** The successor of a rotation for a key of this type and environment. */
export function newSuccessor(kind: { type: KeyType; environment: KeyEnvironment }): {
  id: string;
  hash: string;
  prefix: string;
  last4: string;
} {
  const secret = generateKey(kind);
  return { id: newKeyId(), hash: hashKey(secret), ...keyDisplay(secret) };
}
