import { createAlertStatusStore, createFeedbackStore } from '@keywatch/alerts';
import { createClickHouse } from '@keywatch/clickhouse';
import { revocationTriggerMessageKey, topicNames } from '@keywatch/contracts';
import { createKafka, createProducer, type EventProducer } from '@keywatch/kafka';
import { createKeyStore } from '@keywatch/keystore';
import { closeAll, type Closeable } from '@keywatch/lifecycle';
import type { Logger } from '@keywatch/logger';
import { createRedis } from '@keywatch/redis';
import type { z } from 'zod';
import { buildApp } from './app.js';
import { createAuthenticator } from './auth.js';
import type { analyticsConfig } from './config.js';
import type { TriggerSink } from './feedback.js';

export interface AnalyticsApi extends Closeable {
  url: string;
  /** Shutdown order: stop accepting requests (in-flight ones finish), then the clients. */
  parts: Closeable[];
}

/** Builds the analytics API from its parsed config and starts listening. */
export async function startAnalyticsApi(
  config: z.output<typeof analyticsConfig>,
  logger: Logger,
  options: { redisKeyPrefix?: string } = {},
): Promise<AnalyticsApi> {
  const clickhouse = createClickHouse({
    url: config.CLICKHOUSE_URL,
    database: config.CLICKHOUSE_DATABASE,
    username: config.CLICKHOUSE_USER,
    password: config.CLICKHOUSE_PASSWORD,
    logger,
  });
  const redis = createRedis({
    url: config.REDIS_URL,
    keyPrefix: options.redisKeyPrefix,
    connectionName: 'analytics-api',
  });
  const store = createKeyStore({ redis });
  const authenticate = createAuthenticator({
    store,
    pepper: config.KEYWATCH_KEY_PEPPER,
    rootKey: config.KEYWATCH_ROOT_KEY,
  });
  // One client for the keystore and the alert status hot copy: both live under the deployment's base prefix.
  const statuses = createAlertStatusStore({ redis });
  const feedback = createFeedbackStore({ redis });
  // Kafka is needed only by confirm: connected on its first use, so the read API starts without it.
  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'keywatch-analytics-api', logger });
  const topic = topicNames(config.KEYWATCH_TOPIC_PREFIX).keyRevocationTriggers;
  let producer: Promise<EventProducer> | undefined;
  const triggers: TriggerSink = {
    async send(trigger) {
      producer ??= createProducer(kafka).catch((error: unknown) => {
        producer = undefined;
        throw error;
      });
      await (
        await producer
      ).send(topic, [{ key: revocationTriggerMessageKey(trigger), value: JSON.stringify(trigger) }]);
    },
  };
  const app = buildApp({ clickhouse, store, authenticate, statuses, feedback, triggers, logger });
  const address = await app.listen({ host: config.ANALYTICS_API_HOST, port: config.ANALYTICS_API_PORT });
  logger.info({ url: address }, 'analytics API listening');
  const parts: Closeable[] = [
    { name: 'http', close: () => app.close() },
    { name: 'kafka-producer', close: async () => (producer ? (await producer).close() : undefined) },
    {
      name: 'redis',
      close: () =>
        redis.quit().then(
          () => undefined,
          () => redis.disconnect(),
        ),
    },
    { name: 'clickhouse', close: () => clickhouse.close() },
  ];
  return { name: 'analytics-api', url: address, parts, close: () => closeAll(parts, logger) };
}
