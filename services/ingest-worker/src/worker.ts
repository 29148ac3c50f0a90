import { createClickHouse } from '@keywatch/clickhouse';
import { topicNames } from '@keywatch/contracts';
import { createKafka, createProducer } from '@keywatch/kafka';
import { closeAll, type Closeable } from '@keywatch/lifecycle';
import type { Logger } from '@keywatch/logger';
import type { z } from 'zod';
import { createBatcher } from './batcher.js';
import type { ingestConfig } from './config.js';
import { createIngestConsumer } from './consumer.js';
import { createDedupStore } from './dedup.js';
import { geoipLite } from '@keywatch/geo';
import { createEnricher } from './enrich.js';
import { createIdLookup, createLineInserter } from './http-insert.js';
import { createIngestMetrics, serveMetrics, type IngestMetrics } from './metrics.js';
import { applyRetention } from './retention.js';
import { createRowPool } from './row-pool.js';
import { ROW_BINARY_COLUMNS } from './rows.js';

export interface IngestWorker extends Closeable {
  /** The parts in shutdown order: stop consuming (batches in hand are written and committed, or abandoned), then the clients. */
  parts: Closeable[];
  metrics: IngestMetrics;
  /** Where `/metrics` answers, when served. */
  metricsUrl: string | undefined;
}

/** A test hook; production passes none. */
export interface IngestWorkerOverrides {
  /** Runs after ClickHouse acknowledged an insert and before any offset is committed (the exactly-once test crashes there). */
  afterInsert?: () => void | Promise<void>;
}

/** Builds the worker from its parsed config and starts consuming. */
export async function startIngestWorker(
  config: z.output<typeof ingestConfig>,
  logger: Logger,
  overrides: IngestWorkerOverrides = {},
): Promise<IngestWorker> {
  const topics = topicNames(config.KEYWATCH_TOPIC_PREFIX);
  const metrics = createIngestMetrics();
  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'keywatch-ingest-worker', logger });
  const clickhouse = createClickHouse({
    url: config.CLICKHOUSE_URL,
    database: config.CLICKHOUSE_DATABASE,
    username: config.CLICKHOUSE_USER,
    password: config.CLICKHOUSE_PASSWORD,
    logger,
  });
  // The hot path's own requests (see http-insert.ts); the client above serves the retention job.
  // 15 s bounds how long a rebalance waits for an insert in flight (see consumer.ts).
  const http = {
    url: config.CLICKHOUSE_URL,
    database: config.CLICKHOUSE_DATABASE,
    username: config.CLICKHOUSE_USER,
    password: config.CLICKHOUSE_PASSWORD,
    requestTimeoutMs: 15_000,
  };
  const enricher = createEnricher(geoipLite, config.INGEST_GEO_CACHE_SIZE);
  const batcher = createBatcher({
    store: createDedupStore({
      insertLines: createLineInserter({
        ...http,
        format:
          config.INGEST_INSERT_FORMAT === 'RowBinary'
            ? { name: 'RowBinary', columns: ROW_BINARY_COLUMNS }
            : { name: 'JSONEachRow' },
      }),
      lookupIds: createIdLookup(http),
    }),
    logger,
    maxRows: config.INGEST_BATCH_MAX_ROWS,
    maxWaitMs: config.INGEST_BATCH_MAX_WAIT,
    maxInFlight: config.INGEST_INSERTS_IN_FLIGHT,
    retryMinDelayMs: config.INGEST_RETRY_MIN_DELAY,
    retryMaxDelayMs: config.INGEST_RETRY_MAX_DELAY,
    afterInsert: overrides.afterInsert,
    onWrite: ({ inserted, duplicates, rows, seconds }) => {
      metrics.rowsWritten.inc(inserted);
      metrics.duplicates.inc(duplicates);
      metrics.batchSeconds.observe(seconds);
      metrics.batchRows.observe(rows);
    },
    onBlocked: (blocked, error) => {
      metrics.blocked.set(blocked ? 1 : 0);
      if (blocked) {
        metrics.insertFailures.inc();
        logger.warn({ err: error }, 'ClickHouse unavailable: consumption paused, offsets kept, retrying with backoff');
      }
    },
  });
  const producer = await createProducer(kafka);
  const rowPool = createRowPool();
  const consumer = createIngestConsumer({
    kafka,
    groupId: config.INGEST_GROUP_ID,
    topic: topics.authEvents,
    dlqTopic: topics.authEventsDlq,
    producer,
    batcher,
    rowPool,
    metrics,
    logger,
    enricher,
    rawRetentionDays: config.INGEST_RETENTION_RAW_DAYS,
    maxFutureMs: config.INGEST_MAX_FUTURE,
    format: config.INGEST_INSERT_FORMAT,
    members: config.INGEST_CONSUMERS,
    partitionsConcurrently: config.INGEST_PARTITIONS_CONCURRENTLY,
    maxBytesPerPartition: config.INGEST_FETCH_MAX_BYTES,
    maxBytesPerFetch: config.INGEST_FETCH_MAX_BYTES_TOTAL,
  });

  let retentionTimer: NodeJS.Timeout | undefined;
  const policy = {
    rawDays: config.INGEST_RETENTION_RAW_DAYS,
    minuteDays: config.INGEST_RETENTION_MINUTE_DAYS,
    hourDays: config.INGEST_RETENTION_HOUR_DAYS,
    dayDays: config.INGEST_RETENTION_DAY_DAYS,
  };
  const runRetention = () =>
    applyRetention(clickhouse, policy, logger).catch((error: unknown) =>
      logger.warn({ err: error }, 'retention run failed; next run retries'),
    );
  if (config.INGEST_RETENTION_INTERVAL > 0) {
    retentionTimer = setInterval(() => void runRetention(), config.INGEST_RETENTION_INTERVAL);
    retentionTimer.unref();
    void runRetention();
  }

  const server =
    config.INGEST_METRICS_PORT >= 0
      ? await serveMetrics(metrics.registry, config.INGEST_METRICS_HOST, config.INGEST_METRICS_PORT, () => {
          metrics.buffered.set(batcher.buffered());
          metrics.rowPoolBytes.set(rowPool.stats().bytes);
          const { hits, misses } = enricher.stats;
          metrics.geoCache.reset();
          metrics.geoCache.inc({ result: 'hit' }, hits);
          metrics.geoCache.inc({ result: 'miss' }, misses);
        })
      : undefined;

  const parts: Closeable[] = [
    { name: 'retention', close: () => clearInterval(retentionTimer) },
    // Together: the consumer waits for its batches, and closing the batcher makes their last
    // insert happen now (or abandons them if ClickHouse still refuses), so disconnect can finish.
    { name: 'consumer', close: () => Promise.all([consumer.close(), batcher.close()]).then(() => undefined) },
    { name: 'producer', close: () => producer.close() },
    { name: 'clickhouse', close: () => clickhouse.close() },
    { name: 'metrics', close: () => server?.close() },
  ];
  await consumer.start();
  logger.info(
    { topic: topics.authEvents, group: config.INGEST_GROUP_ID, metrics: server?.url },
    'ingest worker consuming',
  );
  return { name: 'ingest-worker', parts, metrics, metricsUrl: server?.url, close: () => closeAll(parts, logger) };
}
