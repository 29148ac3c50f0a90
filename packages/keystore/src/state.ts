import type { KeyLifecycleType, KeyState } from '@keywatch/contracts';
import type { KeyRecord, Transition } from './types.js';

/** One state change: from which states it is allowed, where it leads, what it announces. */
export interface TransitionRule {
  /**
   * States it may start from. Checked against the *effective* state, except for `expire`, which
   * needs a stored `active`/`rotating` state whose expires_at has passed.
   */
  from: readonly KeyState[];
  to: KeyState;
  /** The lifecycle event type (and audit action) it emits. */
  event: KeyLifecycleType;
}

/**
 * The key state machine (docs/contracts.md#key-states). On top of `from`: `reactivate` is refused for a
 * key that was rotated (its successor is the live key) or whose expires_at has passed.
 */
export const TRANSITIONS: Readonly<Record<Transition, TransitionRule>> = {
  deactivate: { from: ['active', 'rotating', 'suspended'], to: 'deactivated', event: 'deactivated' },
  suspend: { from: ['active', 'rotating'], to: 'suspended', event: 'suspended' },
  reactivate: { from: ['deactivated', 'suspended'], to: 'active', event: 'reactivated' },
  revoke: { from: ['active', 'rotating', 'deactivated', 'suspended', 'expired'], to: 'revoked', event: 'revoked' },
  expire: { from: ['active', 'rotating'], to: 'expired', event: 'expired' },
};

/**
 * The state a verifier should act on: `expired` for an `active` or `rotating` key whose expires_at
 * is at or before `now` (the expiry sweeper may not have stored it yet), else the stored state.
 * The Lua scripts apply the same rule.
 */
export function effectiveState(record: Pick<KeyRecord, 'state' | 'expires_at'>, now: Date): KeyState {
  if (
    (record.state === 'active' || record.state === 'rotating') &&
    record.expires_at !== null &&
    Date.parse(record.expires_at) <= now.getTime()
  ) {
    return 'expired';
  }
  return record.state;
}
