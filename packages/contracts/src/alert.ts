import { z } from 'zod';
import { ALERT_ACTIONS, ALERT_TYPES, SEVERITIES } from './enums.js';
import { ContractVersion, IpAddress, NonEmptyString } from './fields.js';
import { Rfc3339, parseEventTime } from './time.js';

/** What a detector found (docs/contracts.md#alert-types). */
export const AlertType = z.enum(ALERT_TYPES);
export type AlertType = z.infer<typeof AlertType>;

/** How urgent an alert is, in increasing order. */
export const Severity = z.enum(SEVERITIES);
export type Severity = z.infer<typeof Severity>;

/** What the detector asked the key service to do about the key. */
export const AlertAction = z.enum(ALERT_ACTIONS);
export type AlertAction = z.infer<typeof AlertAction>;

/**
 * A security alert (topic `security-alerts`, docs/contracts.md#alert). Cross-field rules (window order,
 * a tenant for every key, a key for every action) are checked once every field is valid on its own.
 */
export const Alert = z
  .object({
    v: ContractVersion,
    alert_id: NonEmptyString,
    type: AlertType,
    severity: Severity,
    tenant_id: NonEmptyString.nullable(),
    key_id: NonEmptyString.nullable(),
    ip: IpAddress.nullable(),
    window_start: Rfc3339,
    window_end: Rfc3339,
    detected_at: Rfc3339,
    summary: NonEmptyString,
    evidence: z.record(z.string(), z.unknown()),
    dedup_key: NonEmptyString,
    action: AlertAction,
  })
  .superRefine((alert, ctx) => {
    const start = parseEventTime(alert.window_start)?.getTime() ?? 0;
    const end = parseEventTime(alert.window_end)?.getTime() ?? 0;
    if (end < start) ctx.addIssue({ code: 'custom', path: ['window_end'], message: 'must not be before window_start' });
    // Every key belongs to a tenant, so only alerts about unknown keys may lack one.
    if (alert.tenant_id === null && alert.key_id !== null) {
      ctx.addIssue({ code: 'custom', path: ['tenant_id'], message: 'must be set when key_id is set' });
    }
    if (alert.action !== 'none' && alert.key_id === null) {
      ctx.addIssue({ code: 'custom', path: ['key_id'], message: `must be set when action is ${alert.action}` });
    }
  });
export type Alert = z.infer<typeof Alert>;

/** The Kafka message key of an alert: its `dedup_key`, so that repeats of one problem stay in order. */
export function alertMessageKey(alert: Pick<Alert, 'dedup_key'>): string {
  return alert.dedup_key;
}
