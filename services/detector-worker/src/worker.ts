import { createAlertStatusStore, createFeedbackStore } from '@keywatch/alerts';
import { createClickHouse, groupInserts } from '@keywatch/clickhouse';
import { topicNames } from '@keywatch/contracts';
import { createConsumerRunner, createKafka, createProducer } from '@keywatch/kafka';
import { closeAll, type Closeable } from '@keywatch/lifecycle';
import type { Logger } from '@keywatch/logger';
import { createRedis } from '@keywatch/redis';
import type { DetectorConfig } from './config.js';
import { createEngine } from './engine.js';
import { createFeedbackView } from './feedback.js';
import { createGeoLookup } from './geo.js';
import { createDetectorHandler } from './handler.js';
import { createDetectorMetrics, serveMetrics } from './metrics.js';
import { createParamsResolver } from './params.js';
import { loadThreatLists } from './threat-lists.js';
import { createRedisStore } from './state/redis-store.js';

export interface DetectorWorker extends Closeable {
  /** The parts in shutdown order: stop consuming (the batch in hand commits), then the clients. */
  parts: Closeable[];
  /** Where `/metrics` answers. */
  metricsUrl: string;
}

/**
 * `read` at most once per `everyMs`; in between, the last value. Counting the state's keys is a
 * SCAN over the whole keyspace, too dear for every scrape.
 */
function throttled(read: () => Promise<number>, everyMs: number): () => Promise<number> {
  let last: { at: number; value: Promise<number> } | undefined;
  return () => {
    if (!last || Date.now() - last.at >= everyMs) last = { at: Date.now(), value: read() };
    return last.value;
  };
}

/** Builds the worker from its parsed config and starts consuming. */
export async function startDetectorWorker(config: DetectorConfig, logger: Logger): Promise<DetectorWorker> {
  const log = logger.child({ component: 'detector' });
  const topics = topicNames(config.KEYWATCH_TOPIC_PREFIX);
  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'keywatch-detector-worker', logger });
  const clickhouse = createClickHouse({
    url: config.CLICKHOUSE_URL,
    database: config.CLICKHOUSE_DATABASE,
    username: config.CLICKHOUSE_USER,
    password: config.CLICKHOUSE_PASSWORD,
    logger,
  });
  const redis = createRedis({
    url: config.REDIS_URL,
    keyPrefix: config.DETECTOR_REDIS_PREFIX,
    connectionName: 'detector-worker',
    commandTimeoutMs: 10_000,
  });
  const store = createRedisStore(redis, {
    shards: config.DETECTOR_STATE_SHARDS,
    latenessMs: config.DETECTOR_LATENESS,
    redeliveryHoldMs: config.DETECTOR_REDELIVERY_HOLD,
  });
  // The alert status hot copy lives under the deployment's base prefix, not the state prefix.
  const statusRedis = createRedis({
    url: config.REDIS_URL,
    keyPrefix: config.DETECTOR_STATUS_REDIS_PREFIX,
    connectionName: 'detector-worker-status',
    commandTimeoutMs: 10_000,
  });
  const threats = loadThreatLists(config.DETECTOR_THREAT_LISTS);
  const metrics = createDetectorMetrics(throttled(() => store.size(), 30_000));
  const engine = createEngine({
    store,
    params: createParamsResolver(config.DETECTOR_SETTINGS, config.DETECTOR_TENANT_SETTINGS),
    geo: createGeoLookup(),
    latenessMs: config.DETECTOR_LATENESS,
    statuses: createAlertStatusStore({ redis: statusRedis }),
    // Suppression rules and trusted networks live beside the statuses, under the base prefix.
    feedback: createFeedbackView({
      store: createFeedbackStore({ redis: statusRedis }),
      refreshMs: config.DETECTOR_FEEDBACK_REFRESH,
    }),
    threats: threats.size > 0 ? threats : undefined,
  });
  const producer = await createProducer(kafka);
  let closing: Promise<void> | undefined;
  const runner = createConsumerRunner({
    kafka,
    groupId: config.DETECTOR_GROUP_ID,
    topics: [topics.authEvents],
    logger,
    maxBytesPerPartition: config.DETECTOR_MAX_BATCH_BYTES,
    maxWaitTimeMs: 100,
    minBytes: config.DETECTOR_FETCH_MIN_BYTES,
    partitionsConsumedConcurrently: config.DETECTOR_PARTITIONS_CONCURRENTLY,
    handler: createDetectorHandler({
      engine,
      store,
      producer,
      sink: groupInserts(clickhouse),
      topics,
      metrics,
      logger: log,
      closing: () => closing !== undefined,
    }),
  });
  const server = await serveMetrics(metrics.registry, config.DETECTOR_METRICS_HOST, config.DETECTOR_METRICS_PORT);
  const parts: Closeable[] = [
    { name: 'consumer', close: () => runner.close() },
    { name: 'producer', close: () => producer.close() },
    { name: 'metrics', close: () => server.close() },
    { name: 'redis', close: () => store.close() },
    { name: 'redis-status', close: async () => statusRedis.disconnect() },
    { name: 'clickhouse', close: () => clickhouse.close() },
  ];
  await runner.start();
  log.info(
    {
      topic: topics.authEvents,
      group: config.DETECTOR_GROUP_ID,
      metrics: server.url,
      lateness_ms: config.DETECTOR_LATENESS,
      threat_list_entries: threats.size,
    },
    'detector worker consuming',
  );
  return { name: 'detector-worker', parts, metricsUrl: server.url, close: () => (closing ??= closeAll(parts, logger)) };
}
