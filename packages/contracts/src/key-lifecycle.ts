import { z } from 'zod';
import { KEY_STATES } from './enums.js';
import { ContractVersion, NonEmptyString } from './fields.js';
import { EventId } from './ids.js';
import { EventTime } from './time.js';

/**
 * A key's state: `rotating` is an old key inside its grace period, `deactivated` is by a person,
 * `suspended` by an automatic trigger (reversible), `revoked` is final.
 */
export const KeyState = z.enum(KEY_STATES);
export type KeyState = z.infer<typeof KeyState>;

/** What happened to a key. */
export const KeyLifecycleType = z.enum([
  'created',
  'rotated',
  'updated',
  'deactivated',
  'suspended',
  'reactivated',
  'revoked',
  'expired',
]);
export type KeyLifecycleType = z.infer<typeof KeyLifecycleType>;

/** A change to a key (topic `key-lifecycle`, docs/contracts.md#key-lifecycle-event); gateways drop cached keys on it. */
export const KeyLifecycleEvent = z.object({
  v: ContractVersion,
  event_id: EventId,
  ts: EventTime,
  tenant_id: NonEmptyString,
  key_id: NonEmptyString,
  type: KeyLifecycleType,
  /** Who did it: a key id, `root`, or the automatic component that acted. */
  actor: NonEmptyString,
  /** Why, when given; `null` otherwise. */
  reason: z.string().nullable(),
});
export type KeyLifecycleEvent = z.infer<typeof KeyLifecycleEvent>;

/** The Kafka message key of a lifecycle event: its `key_id`. */
export function keyLifecycleMessageKey(event: Pick<KeyLifecycleEvent, 'key_id'>): string {
  return event.key_id;
}
