import { ConfigError, parseConfig } from '@keywatch/config';
import { shutdownOnSignals } from '@keywatch/lifecycle';
import { createLogger } from '@keywatch/logger';
import { analyticsConfig } from './config.js';
import { startAnalyticsApi } from './service.js';

async function main(): Promise<void> {
  const config = parseConfig(analyticsConfig, process.env);
  const logger = createLogger({ name: 'analytics-api', level: config.LOG_LEVEL });
  const api = await startAnalyticsApi(config, logger);
  shutdownOnSignals(api.parts, logger);
}

main().catch((error: unknown) => {
  process.stderr.write(`analytics-api: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
