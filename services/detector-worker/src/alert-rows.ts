import { alertRow, type AlertRow } from '@keywatch/alerts';
import type { AlertState } from './engine.js';

export { alertRowVersion, type AlertRow } from '@keywatch/alerts';

/** The row for an alert's current state; `version` (`alertRowVersion`) orders the versions of one alert. */
export function toAlertRow(state: AlertState, version: number, updatedAt: Date): AlertRow {
  return alertRow(state.alert, state.count, version, updatedAt);
}
