import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The worker's Prometheus metrics, in a registry of its own (no global default registry). */
export function createIngestMetrics() {
  const registry = new Registry();
  const registers = [registry];
  return {
    registry,
    eventsIn: new Counter({
      name: 'keywatch_ingest_events_in_total',
      help: 'Messages consumed from auth-events',
      registers,
    }),
    rowsWritten: new Counter({
      name: 'keywatch_ingest_rows_written_total',
      help: 'Rows inserted into auth_events (after dedup)',
      registers,
    }),
    duplicates: new Counter({
      name: 'keywatch_ingest_duplicates_total',
      help: 'Events dropped because their event_id was already stored or repeated in the batch',
      registers,
    }),
    deadLetters: new Counter({
      name: 'keywatch_ingest_dlq_total',
      help: 'Messages sent to auth-events-dlq',
      labelNames: ['reason'] as const,
      registers,
    }),
    batchSeconds: new Histogram({
      name: 'keywatch_ingest_batch_seconds',
      help: 'Dedup lookup plus insert of one batch',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    batchRows: new Histogram({
      name: 'keywatch_ingest_batch_rows',
      help: 'Rows per insert batch',
      buckets: [10, 100, 1000, 5000, 10_000, 25_000, 50_000],
      registers,
    }),
    insertFailures: new Counter({
      name: 'keywatch_ingest_insert_failures_total',
      help: 'Failed insert attempts (retried)',
      registers,
    }),
    lag: new Gauge({
      name: 'keywatch_ingest_consumer_lag',
      help: 'Messages behind the high watermark, per partition, after the last committed batch',
      labelNames: ['partition'] as const,
      registers,
    }),
    blocked: new Gauge({
      name: 'keywatch_ingest_clickhouse_blocked',
      help: '1 while inserts fail and consumption is paused',
      registers,
    }),
    buffered: new Gauge({ name: 'keywatch_ingest_buffered_rows', help: 'Rows waiting for or in an insert', registers }),
    rowPoolBytes: new Gauge({
      name: 'keywatch_ingest_row_pool_bytes',
      help: 'Bytes of the row pool (rows waiting for or in an insert, plus free chunks kept for reuse)',
      registers,
    }),
    geoCache: new Counter({
      name: 'keywatch_ingest_geo_cache_total',
      help: 'Geo lookups by cache result',
      labelNames: ['result'] as const,
      registers,
    }),
  };
}

export type IngestMetrics = ReturnType<typeof createIngestMetrics>;

export { serveMetrics } from '@keywatch/metrics';
