import { ConfigError, parseConfig } from '@keywatch/config';
import { shutdownOnSignals } from '@keywatch/lifecycle';
import { createLogger } from '@keywatch/logger';
import { gatewayConfig } from './config.js';
import { startGateway } from './service.js';

async function main(): Promise<void> {
  const config = parseConfig(gatewayConfig, process.env);
  const logger = createLogger({ name: 'gateway', level: config.LOG_LEVEL });
  const gateway = await startGateway(config, logger);
  shutdownOnSignals(gateway.parts, logger);
}

main().catch((error: unknown) => {
  process.stderr.write(`gateway: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
