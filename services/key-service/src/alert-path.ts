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
import { alertRow, alertRowVersion, type AlertRow } from '@keywatch/alerts';
import type { ClickHouse } from '@keywatch/clickhouse';
import type { EventProducer } from '@keywatch/kafka';
import type { Logger } from '@keywatch/logger';

/** Where the key service's own alerts go: the same places as the detector's. */
export interface AlertPath {
  /**
   * Validates, then publishes the alerts to `security-alerts` (notifier, webhooks, `alerts tail`)
   * and the triggers to `key-revocation-triggers`, and writes one row per alert to `security_alerts`
   * (the alert feed and the console). Resolves once Kafka has both; safe to repeat with the same ids.
   * A row ClickHouse refuses is retried in the background (the alert already reached its people).
   */
  publish(alerts: readonly Alert[], triggers?: readonly RevocationTrigger[]): Promise<void>;
  /** Stops background row retries. */
  close(): Promise<void>;
}

const ROW_RETRIES_MS = [1_000, 2_000, 4_000, 8_000, 16_000];

const SEVERITY_RANK: Record<Severity, number> = { low: 1, medium: 2, high: 3, critical: 4 };

/** A stable alert id for a dedup key: a repeat of the same item after a crash is the same alert. */
export function alertIdFor(dedupKey: string): string {
  return `alr_${createHash('sha256').update(dedupKey).digest('hex').slice(0, 32)}`;
}

/**
 * The `security_alerts` row of an alert, versioned as the detector's rows are (severity, then the
 * clock), so the feed's argMax picks the same winner across writers.
 */
export function keyServiceAlertRow(alert: Alert, now: Date): AlertRow {
  return alertRow(alert, 1, alertRowVersion(SEVERITY_RANK[alert.severity], now.getTime(), 0), now);
}

export function createAlertPath(deps: {
  producer: EventProducer;
  topics: { securityAlerts: string; keyRevocationTriggers: string };
  clickhouse: Pick<ClickHouse, 'insert'>;
  logger: Logger;
  table?: string;
  now?: () => Date;
}): AlertPath {
  const table = deps.table ?? 'security_alerts';
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;
  const writeRows = (rows: readonly AlertRow[], attempt: number): Promise<void> =>
    deps.clickhouse.insert(table, rows).catch((error: unknown) => {
      const delay = ROW_RETRIES_MS[attempt];
      if (closed || delay === undefined) {
        deps.logger.error(
          { err: error, alert_ids: rows.map((r) => r.alert_id) },
          'alert rows not written: the alerts are on the topic but missing from the feed',
        );
        return;
      }
      deps.logger.warn({ err: error, retry_in_ms: delay, rows: rows.length }, 'alert rows not written; retrying');
      const timer = setTimeout(() => {
        timers.delete(timer);
        void writeRows(rows, attempt + 1);
      }, delay);
      timers.add(timer);
    });
  return {
    async close() {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
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
        alerts.length > 0
          ? writeRows(
              alerts.map((a) => keyServiceAlertRow(a, now)),
              0,
            )
          : undefined,
      ]);
    },
  };
}
