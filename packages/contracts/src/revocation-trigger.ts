import { z } from 'zod';
import { AlertType } from './alert.js';
import { ContractVersion, NonEmptyString } from './fields.js';
import { EventTime } from './time.js';

/** What a trigger asks the key service to do. */
export const RequestedAction = z.enum(['suspend', 'revoke']);
export type RequestedAction = z.infer<typeof RequestedAction>;

/** A detector's request to act on a key (topic `key-revocation-triggers`, docs/contracts.md#revocation-trigger). */
export const RevocationTrigger = z.object({
  v: ContractVersion,
  trigger_id: NonEmptyString,
  ts: EventTime,
  tenant_id: NonEmptyString,
  key_id: NonEmptyString,
  alert_id: NonEmptyString,
  reason: AlertType,
  requested_action: RequestedAction,
});
export type RevocationTrigger = z.infer<typeof RevocationTrigger>;

/** The Kafka message key of a trigger: its `key_id`. */
export function revocationTriggerMessageKey(trigger: Pick<RevocationTrigger, 'key_id'>): string {
  return trigger.key_id;
}
