// eslint-disable-next-line no-restricted-imports -- moved to packages/cli in the typed-client change
import { registerWebhookCommands } from '@keywatch/notifier/cli';
import type { Command } from 'commander';

/** `keywatch webhooks list|create|delete|rotate-secret|deliveries|replay`, as tables or JSON. */
export function registerWebhooks(program: Command): void {
  registerWebhookCommands(program, (rows, asJson) => {
    if (asJson || !Array.isArray(rows)) console.log(JSON.stringify(rows, null, 2));
    else console.table(rows);
  });
}
