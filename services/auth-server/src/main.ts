import { ConfigError, parseConfig } from '@keywatch/config';
import { shutdownOnSignals } from '@keywatch/lifecycle';
import { createLogger } from '@keywatch/logger';
import { authServerConfig } from './config.js';
import { startAuthServer } from './service.js';

async function main(): Promise<void> {
  const config = parseConfig(authServerConfig, process.env);
  const logger = createLogger({ name: 'auth-server', level: config.LOG_LEVEL });
  const server = await startAuthServer(config, logger);
  shutdownOnSignals(server.parts, logger);
}

main().catch((error: unknown) => {
  process.stderr.write(`auth-server: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
