import { decodeJson, formatIssues, RevocationTrigger } from '@keywatch/contracts';
import type { BatchHandler } from '@keywatch/kafka';
import {
  effectiveState,
  KeyStoreError,
  TRANSITIONS,
  type AuditLog,
  type KeyRecord,
  type KeyRecords,
  type Transition,
  type TriggerPolicies,
} from '@keywatch/keystore';
import type { Logger } from '@keywatch/logger';

/** What the key service did with one trigger, and why (also the audit entry's action). */
export type TriggerDecision =
  | { action: 'applied'; transition: Extract<Transition, 'suspend' | 'revoke'>; reason: string }
  | { action: 'refused' | 'noop'; reason: string };

/**
 * Applies revocation triggers (docs/contracts.md#revocation-trigger) by the tenant's policy: `notify_only`
 * (default) records and does nothing; `suspend` suspends; `revoke` revokes — except live keys,
 * which are only suspended unless the tenant allowed live revocation. Never more than the detector
 * asked for, never more than the tenant's hourly cap, every decision audited with its reason.
 */
export function createTriggerHandler(deps: {
  store: KeyRecords & AuditLog & TriggerPolicies;
  logger: Logger;
  now?: () => Date;
  /**
   * The tenant's leak policy for a key type (`key_leaked` triggers): a confirmed leak is decided by it
   * instead of the detector policy, and spends no slot of the hourly cap (no false positive is possible:
   * the reporter held the key itself). Absent: `key_leaked` triggers follow the detector policy.
   */
  leakAction?: (tenantId: string, type: KeyRecord['type']) => Promise<'revoke' | 'suspend' | 'notify_only'>;
}): BatchHandler {
  const { store, logger } = deps;

  async function decide(trigger: RevocationTrigger): Promise<TriggerDecision> {
    const key = await store.getById(trigger.key_id);
    if (!key || key.tenant_id !== trigger.tenant_id) return { action: 'refused', reason: 'no such key in this tenant' };
    if (trigger.reason === 'key_leaked' && deps.leakAction) {
      const leak = await deps.leakAction(trigger.tenant_id, key.type);
      if (leak === 'notify_only')
        return { action: 'refused', reason: `tenant leak policy for ${key.type} keys is notify_only` };
      const wanted = leak === 'revoke' && trigger.requested_action === 'revoke' ? 'revoke' : 'suspend';
      const current = effectiveState(key, deps.now?.() ?? new Date());
      if (current === 'expired' || !TRANSITIONS[wanted].from.includes(current))
        return { action: 'noop', reason: `key is ${current}; nothing to ${wanted}` };
      return {
        action: 'applied',
        transition: wanted,
        reason: `key_leaked (alert ${trigger.alert_id}): tenant leak policy for ${key.type} keys is ${leak}`,
      };
    }
    const policy = await store.getPolicy(trigger.tenant_id);
    if (policy.mode === 'notify_only') return { action: 'refused', reason: 'tenant policy is notify_only' };
    let transition: 'suspend' | 'revoke' =
      trigger.requested_action === 'revoke' && policy.mode === 'revoke' ? 'revoke' : 'suspend';
    let note = '';
    if (transition === 'revoke' && key.environment === 'live' && !policy.allow_live_revoke) {
      transition = 'suspend';
      note = ' (live key: suspended instead of revoked; the tenant has not allowed live revocation)';
    }
    // Checked before the cap: a trigger that cannot change anything must not spend a slot.
    const state = effectiveState(key, deps.now?.() ?? new Date());
    if (state === 'expired' || !TRANSITIONS[transition].from.includes(state)) {
      return { action: 'noop', reason: `key is ${state}; nothing to ${transition}` };
    }
    if (!(await store.takeAutomaticAction(trigger.tenant_id, policy.max_actions_per_hour, deps.now?.()))) {
      return { action: 'refused', reason: `hourly cap of ${policy.max_actions_per_hour} automatic actions reached` };
    }
    return { action: 'applied', transition, reason: `${trigger.reason} (alert ${trigger.alert_id})${note}` };
  }

  async function handle(trigger: RevocationTrigger): Promise<void> {
    if (await store.isTriggerClaimed(trigger.trigger_id)) return;
    // Leak reports come from the key service's own intake, not from the detector.
    const actor = `${trigger.reason === 'key_leaked' ? 'leaks' : 'detector'}:${trigger.alert_id}`;
    const details = {
      trigger_id: trigger.trigger_id,
      alert_id: trigger.alert_id,
      requested_action: trigger.requested_action,
      alert_type: trigger.reason,
    };
    let decision = await decide(trigger);
    if (decision.action === 'applied') {
      try {
        await store.transition(trigger.key_id, decision.transition, actor, decision.reason, deps.now?.(), details);
      } catch (error) {
        if (!(error instanceof KeyStoreError) || error.code !== 'invalid_transition') throw error;
        decision = { action: 'noop', reason: `state changed meanwhile: ${error.message}` };
      }
    }
    if (decision.action !== 'applied') {
      // Applied transitions are audited by the store with the state change itself.
      await store.recordAudit({
        tenant_id: trigger.tenant_id,
        key_id: trigger.key_id,
        actor: actor,
        action: decision.action === 'noop' ? 'trigger_noop' : 'trigger_refused',
        reason: decision.reason,
        details,
      });
    }
    // Claimed last: a crash before this point replays the trigger, which then finds the state
    // already changed (a no-op), so nothing is lost and nothing is applied twice.
    await store.claimTrigger(trigger.trigger_id);
    logger.info(
      {
        trigger_id: trigger.trigger_id,
        key_id: trigger.key_id,
        tenant_id: trigger.tenant_id,
        decision: decision.action,
        reason: decision.reason,
      },
      'revocation trigger handled',
    );
  }

  return async (batch) => {
    for (const message of batch.messages) {
      const decoded = decodeJson(RevocationTrigger, message.value);
      if (!decoded.ok) {
        logger.error(
          {
            topic: batch.topic,
            partition: batch.partition,
            offset: message.offset,
            reason: formatIssues(decoded.issues),
          },
          'invalid revocation trigger skipped',
        );
        continue;
      }
      await handle(decoded.value);
    }
  };
}
