import { ConfigError, parseConfig } from '@keywatch/config';
import { shutdownOnSignals } from '@keywatch/lifecycle';
import { createLogger } from '@keywatch/logger';
import { keyServiceConfig } from './config.js';
import { startKeyService } from './service.js';

async function main(): Promise<void> {
  const config = parseConfig(keyServiceConfig, process.env);
  const logger = createLogger({ name: 'key-service', level: config.LOG_LEVEL });
  const service = await startKeyService(config, logger);
  shutdownOnSignals(service.parts, logger);
}

main().catch((error: unknown) => {
  process.stderr.write(`key-service: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
