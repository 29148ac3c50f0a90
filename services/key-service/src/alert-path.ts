import { createHash } from 'node:crypto';
import {
  Alert,
  alertMessageKey,
  formatIssues,
  RevocationTrigger,
  revocationTriggerMessageKey,
  validate,
  type Severity,
} from '@keywatch/contracts';
import type { ClickHouse } from '@keywatch/clickhouse';
import type { EventProducer } from '@keywatch/kafka';

/** Where the key service's own alerts go: the same places as the detector's. */
export interface AlertPath {
  /**
   * Validates, then publishes the alerts to `security-alerts` (notifier, webhooks, `alerts tail`),
   * the triggers to `key-revocation-triggers`, and one row per alert to `security_alerts` (the alert
   * feed and the console). Resolves once all three are durable; safe to repeat with the same ids.
   */
  publish(alerts: readonly Alert[], triggers?: readonly RevocationTrigger[]): Promise<void>;
}

const SEVERITY_RANK: Record<Severity, number> = { low: 1, medium: 2, high: 3, critical: 4 };
const seconds = (rfc3339: string) => new Date(rfc3339).toISOString().slice(0, 19).replace('T', ' ');

/** A stable alert id for a dedup key: a repeat of the same item after a crash is the same alert. */
export function alertIdFor(dedupKey: string): string {
  return `alr_${createHash('sha256').update(dedupKey).digest('hex').slice(0, 32)}`;
}

/**
 * The `security_alerts` row of an alert (migration 0010). The version leads with the severity, then
 * the clock, as the detector's rows do, so the feed's argMax picks the same winner across writers.
 */
export function alertRow(alert: Alert, now: Date): Record<string, string | number> {
  return {
    alert_id: alert.alert_id,
    type: alert.type,
    severity: alert.severity,
    tenant_id: alert.tenant_id ?? '',
    key_id: alert.key_id ?? '',
    ip: alert.ip ?? '',
    window_start: seconds(alert.window_start),
    window_end: seconds(alert.window_end),
    detected_at: seconds(alert.detected_at),
    updated_at: seconds(now.toISOString()),
    summary: alert.summary,
    evidence: JSON.stringify(alert.evidence),
    dedup_key: alert.dedup_key,
    action: alert.action,
    count: 1,
    version: 2e15 + SEVERITY_RANK[alert.severity] * 1e15 + now.getTime() * 10,
  };
}

export function createAlertPath(deps: {
  producer: EventProducer;
  topics: { securityAlerts: string; keyRevocationTriggers: string };
  clickhouse: Pick<ClickHouse, 'insert'>;
  table?: string;
  now?: () => Date;
}): AlertPath {
  const table = deps.table ?? 'security_alerts';
  return {
    async publish(alerts, triggers = []) {
      for (const alert of alerts) {
        const checked = validate(Alert, alert);
        if (!checked.ok) throw new Error(`invalid ${alert.type} alert: ${formatIssues(checked.issues)}`);
      }
      for (const trigger of triggers) {
        const checked = validate(RevocationTrigger, trigger);
        if (!checked.ok) throw new Error(`invalid trigger: ${formatIssues(checked.issues)}`);
      }
      if (alerts.length === 0 && triggers.length === 0) return;
      const now = deps.now?.() ?? new Date();
      await Promise.all([
        alerts.length > 0
          ? deps.producer.send(
              deps.topics.securityAlerts,
              alerts.map((a) => ({ key: alertMessageKey(a), value: JSON.stringify(a) })),
            )
          : undefined,
        triggers.length > 0
          ? deps.producer.send(
              deps.topics.keyRevocationTriggers,
              triggers.map((t) => ({ key: revocationTriggerMessageKey(t), value: JSON.stringify(t) })),
            )
          : undefined,
        alerts.length > 0 ? deps.clickhouse.insert(table, alerts.map((a) => alertRow(a, now))) : undefined,
      ]);
    },
  };
}
