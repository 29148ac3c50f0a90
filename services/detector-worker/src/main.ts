import { ConfigError, parseConfig } from '@keywatch/config';
import { shutdownOnSignals } from '@keywatch/lifecycle';
import { createLogger } from '@keywatch/logger';
import { detectorConfig } from './config.js';
import { startDetectorWorker } from './worker.js';

async function main(): Promise<void> {
  const config = parseConfig(detectorConfig, process.env);
  const logger = createLogger({ name: 'detector-worker', level: config.LOG_LEVEL });
  const worker = await startDetectorWorker(config, logger);
  shutdownOnSignals(worker.parts, logger);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `detector-worker: ${error instanceof ConfigError || error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(error instanceof ConfigError ? 2 : 1);
});
