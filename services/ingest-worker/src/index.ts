export { createIngestHandler, type IngestDependencies, type RowSink } from './ingest.js';
export { toRow, type AuthEventRow } from './rows.js';
export { ingestConfig } from './config.js';
export { startIngestWorker, type IngestWorker } from './worker.js';
