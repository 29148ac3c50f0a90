import { setFlagsFromString } from 'node:v8';
import { ConfigError, parseConfig } from '@keywatch/config';
import { shutdownOnSignals } from '@keywatch/lifecycle';
import { createLogger } from '@keywatch/logger';
import { ingestConfig } from './config.js';
import { missingNodeFlags } from './node-flags.js';
import { startIngestWorker } from './worker.js';

async function main(): Promise<void> {
  const config = parseConfig(ingestConfig, process.env);
  // V8 reads this flag at every full collection, so it takes effect now, unlike --max-old-space-size.
  if (config.INGEST_HEAP_GROWING_PERCENT > 0)
    setFlagsFromString(`--heap-growing-percent=${config.INGEST_HEAP_GROWING_PERCENT}`);
  const logger = createLogger({ name: 'ingest-worker', level: config.LOG_LEVEL });
  const missing = missingNodeFlags();
  if (missing.length > 0)
    logger.warn(
      { missing },
      'started without the Node flags the ingest worker declares (package.json keywatch.nodeFlags): expect ~500 MB RSS under load instead of ~300 MB',
    );
  const worker = await startIngestWorker(config, logger);
  shutdownOnSignals(worker.parts, logger);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `ingest-worker: ${error instanceof ConfigError || error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(error instanceof ConfigError ? 2 : 1);
});
