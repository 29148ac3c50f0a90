import { createClickHouse } from '@keywatch/clickhouse';
import { topicNames } from '@keywatch/contracts';
import { createConsumerRunner, createKafka, createProducer } from '@keywatch/kafka';
import { closeAll, type Closeable } from '@keywatch/lifecycle';
import type { Logger } from '@keywatch/logger';
import type { z } from 'zod';
import type { ingestConfig } from './config.js';
import { createIngestHandler } from './ingest.js';

export interface IngestWorker extends Closeable {
  /** The parts in shutdown order: stop consuming (the batch in hand commits), then the clients. */
  parts: Closeable[];
}

/** Builds the worker from its parsed config and starts consuming. */
export async function startIngestWorker(config: z.output<typeof ingestConfig>, logger: Logger): Promise<IngestWorker> {
  const topics = topicNames(config.KEYWATCH_TOPIC_PREFIX);
  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'keywatch-ingest-worker', logger });
  const clickhouse = createClickHouse({
    url: config.CLICKHOUSE_URL,
    database: config.CLICKHOUSE_DATABASE,
    username: config.CLICKHOUSE_USER,
    password: config.CLICKHOUSE_PASSWORD,
    logger,
  });
  const producer = await createProducer(kafka);
  const runner = createConsumerRunner({
    kafka,
    groupId: config.INGEST_GROUP_ID,
    topics: [topics.authEvents],
    logger,
    handler: createIngestHandler({ sink: clickhouse, producer, dlqTopic: topics.authEventsDlq, logger }),
  });
  const parts: Closeable[] = [
    { name: 'consumer', close: () => runner.close() },
    { name: 'producer', close: () => producer.close() },
    { name: 'clickhouse', close: () => clickhouse.close() },
  ];
  await runner.start();
  logger.info({ topic: topics.authEvents, group: config.INGEST_GROUP_ID }, 'ingest worker consuming');
  return { name: 'ingest-worker', parts, close: () => closeAll(parts, logger) };
}
