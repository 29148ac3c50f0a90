// eslint-disable-next-line no-restricted-imports -- moved to packages/cli in the typed-client change
import { registerAnalyticsCommands } from '@keywatch/analytics-api/cli';
import type { Command } from 'commander';

/** `keywatch analytics usage|errors|geo|features <key_id>` and `keywatch analytics top`, as tables or JSON. */
export function registerAnalytics(program: Command): void {
  registerAnalyticsCommands(program, (rows, asJson) => {
    if (asJson || !Array.isArray(rows)) console.log(JSON.stringify(rows, null, 2));
    else console.table(rows);
  });
}
