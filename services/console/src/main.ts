import { ConfigError, parseConfig } from '@keywatch/config';
import { shutdownOnSignals } from '@keywatch/lifecycle';
import { createLogger } from '@keywatch/logger';
import { consoleConfig } from './config.js';
import { startConsole } from './service.js';

async function main(): Promise<void> {
  const config = parseConfig(consoleConfig, process.env);
  const logger = createLogger({ name: 'console', level: config.LOG_LEVEL });
  const server = await startConsole(config, logger);
  shutdownOnSignals(server.parts, logger);
}

main().catch((error: unknown) => {
  process.stderr.write(`console: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
