import { OUTCOME_STATUS, type KeyEnvironment, type Outcome, type Scope } from '@keywatch/contracts';
import { effectiveState, type KeyRecord } from '@keywatch/keystore';
import { ipAllowed, originAllowed } from './access.js';

/** Every refusal of a presented key: the auth-event outcomes other than `allowed`. */
export type Refusal = Exclude<Outcome, 'allowed'>;

/** What a known key can be refused for, by {@link keyRefusal}. */
export type KeyRefusal =
  | 'revoked_key'
  | 'expired_key'
  | 'inactive_key'
  | 'environment_mismatch'
  | 'ip_not_allowed'
  | 'origin_not_allowed'
  | 'insufficient_scope';

/** The HTTP status of each refusal, the same on the gateways and on Keywatch's own APIs. */
export const REFUSAL_STATUS: { readonly [R in Refusal]: (typeof OUTCOME_STATUS)[R] } = OUTCOME_STATUS;

/** What a request asks of a key; a field left out is not checked. */
export interface KeyRequirements {
  now: Date;
  /** The environment served (gateways); keys of the other one are refused. */
  environment?: KeyEnvironment;
  /** The client address, checked against `allowed_ips`. */
  ip?: string;
  /** The `Origin` header (`null`: none), checked against `allowed_origins`. */
  origin?: string | null;
  /** The scope the call needs; `null`: any valid key. */
  scope: Scope | null;
  /** Only secret keys hold a scope (Keywatch's own APIs never take publishable keys). */
  secretOnly?: boolean;
}

/**
 * Why `key` may not make this request, or `null`: effective state (revoked, expired incl. a
 * rotated key past its grace, deactivated/suspended) → environment → IP → origin → scope.
 */
export function keyRefusal(key: KeyRecord, requirements: KeyRequirements): KeyRefusal | null {
  const state = effectiveState(key, requirements.now);
  if (state === 'revoked') return 'revoked_key';
  if (state === 'expired') return 'expired_key';
  if (state === 'deactivated' || state === 'suspended') return 'inactive_key';
  if (requirements.environment !== undefined && key.environment !== requirements.environment)
    return 'environment_mismatch';
  if (requirements.ip !== undefined && !ipAllowed(requirements.ip, key.allowed_ips)) return 'ip_not_allowed';
  if (requirements.origin !== undefined && !originAllowed(requirements.origin, key.allowed_origins))
    return 'origin_not_allowed';
  const scope = requirements.scope;
  if (scope !== null && ((requirements.secretOnly === true && key.type !== 'secret') || !key.scopes.includes(scope)))
    return 'insufficient_scope';
  return null;
}
