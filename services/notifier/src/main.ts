import { ConfigError, parseConfig } from '@keywatch/config';
import { shutdownOnSignals } from '@keywatch/lifecycle';
import { createLogger } from '@keywatch/logger';
import { notifierConfig } from './config.js';
import { startNotifier } from './service.js';

async function main(): Promise<void> {
  const config = parseConfig(notifierConfig, process.env);
  const logger = createLogger({ name: 'notifier', level: config.LOG_LEVEL });
  const notifier = await startNotifier(config, logger);
  shutdownOnSignals(notifier.parts, logger);
}

main().catch((error: unknown) => {
  process.stderr.write(`notifier: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
