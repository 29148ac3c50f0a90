import type { AlertState } from './engine.js';

/** One version of an alert in `security_alerts` (migration 0010). */
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

/** The row for an alert's current state; `version` ({@link alertRowVersion}) orders the versions of one alert. */
export function toAlertRow(state: AlertState, version: number, updatedAt: Date): AlertRow {
  const a = state.alert;
  return {
    alert_id: a.alert_id,
    type: a.type,
    severity: a.severity,
    tenant_id: a.tenant_id ?? '',
    key_id: a.key_id ?? '',
    ip: a.ip ?? '',
    window_start: seconds(a.window_start),
    window_end: seconds(a.window_end),
    detected_at: seconds(a.detected_at),
    updated_at: seconds(updatedAt.toISOString()),
    summary: a.summary,
    evidence: JSON.stringify(a.evidence),
    dedup_key: a.dedup_key,
    action: a.action,
    count: state.count,
    version,
  };
}
