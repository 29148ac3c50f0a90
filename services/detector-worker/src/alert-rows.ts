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

/** The row for an alert's current state; `version` orders the versions of one alert. */
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
