export {
  createIngestHandler,
  prepareMessages,
  sourceAt,
  type ConsumedMessage,
  type IngestDependencies,
  type MessagesAt,
  type PrepareOptions,
  type Prepared,
} from './ingest.js';
export {
  encodeRow,
  encodeRowBinary,
  ROW_BINARY_COLUMNS,
  toRow,
  type AuthEventRow,
  type EnrichedRow,
  type Enrichment,
  type InsertFormat,
} from './rows.js';
export { ingestConfig } from './config.js';
export { startIngestWorker, type IngestWorker, type IngestWorkerOverrides } from './worker.js';
export { createDedupStore, writeOnce, type EventStore, type WriteResult } from './dedup.js';
export { createEnricher, userAgentClass, type Enricher } from './enrich.js';
export { applyRetention, expiredPartitions, type RetentionPolicy } from './retention.js';
export { createLineInserter } from './http-insert.js';
