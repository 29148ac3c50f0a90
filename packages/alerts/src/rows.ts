import type { Alert } from '@keywatch/contracts';

/** One version of an alert in `security_alerts` (migration 0010), as the detector and the key service write it. */
export interface AlertRow {
  alert_id: string;
  type: string;
  severity: string;
  tenant_id: string;
  key_id: string;
  ip: string;
  window_start: string;
  window_end: string;
  detected_at: string;
  updated_at: string;
  summary: string;
  evidence: string;
  dedup_key: string;
  action: string;
  count: number;
  version: number;
}

const seconds = (rfc3339: string) => rfc3339.slice(0, 19).replace('T', ' ');

/**
 * Above every version written before severity came first in it (wall-clock microseconds, below
 * 2e15 until 2033), so an alert continued across the upgrade still takes its newest row.
 */
const VERSION_BASE = 2e15;

/**
 * The version of an alert's row (`security_alerts` is a ReplacingMergeTree on it): severity first,
 * then the writer's clock and a 0–9 sequence, so a lower severity written last by a concurrent batch
 * does not win. Stays below 2^53 for every rank until the year 2500.
 */
export function alertRowVersion(severityRank: number, clockMs: number, sequence: number): number {
  return VERSION_BASE + severityRank * 1e15 + clockMs * 10 + (sequence % 10);
}

/** The row of an alert seen `count` times; `version` ({@link alertRowVersion}) orders the rows of one alert. */
export function alertRow(alert: Alert, count: number, version: number, updatedAt: Date): AlertRow {
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
    updated_at: seconds(updatedAt.toISOString()),
    summary: alert.summary,
    evidence: JSON.stringify(alert.evidence),
    dedup_key: alert.dedup_key,
    action: alert.action,
    count,
    version,
  };
}
