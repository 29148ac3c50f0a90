import { ConfigError, parseConfig } from '@keywatch/config';
import { shutdownOnSignals } from '@keywatch/lifecycle';
import { createLogger } from '@keywatch/logger';
import { ingestConfig } from './config.js';
import { startIngestWorker } from './worker.js';

async function main(): Promise<void> {
  const config = parseConfig(ingestConfig, process.env);
  const logger = createLogger({ name: 'ingest-worker', level: config.LOG_LEVEL });
  const worker = await startIngestWorker(config, logger);
  shutdownOnSignals(worker.parts, logger);
}

main().catch((error: unknown) => {
  process.stderr.write(`ingest-worker: ${error instanceof ConfigError || error instanceof Error ? error.message : String(error)}\n`);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
