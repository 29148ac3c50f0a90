import { createAlertStatusStore } from '@keywatch/alerts';
import { topicNames } from '@keywatch/contracts';
import { createConsumerRunner, createKafka, type ConsumerRunner } from '@keywatch/kafka';
import { closeAll, type Closeable } from '@keywatch/lifecycle';
import type { Logger } from '@keywatch/logger';
import { serveMetrics } from '@keywatch/metrics';
import { createRateLimiter } from '@keywatch/ratelimit';
import { createRedis } from '@keywatch/redis';
import {
  createDeliveryLog,
  createSecretBox,
  createWebhookStore,
  DELIVERY_QUEUE,
  type DeliveryJobData,
  type DeliveryQueue,
} from '@keywatch/webhooks';
import { Queue, type JobsOptions } from 'bullmq';
import type { NotifierConfig } from './config.js';
import { createNotifierMetrics } from './metrics.js';
import { createAlertRouter } from './router.js';
import { createDeliveryWorker } from './worker.js';

export interface Notifier extends Closeable {
  /** Shutdown order: stop consuming alerts, let deliveries in flight finish, then the clients. */
  parts: Closeable[];
  queue: DeliveryQueue;
  metricsUrl: string;
}

/** Completed jobs are kept this long: their ids are what makes adding a delivery idempotent. */
const KEEP_COMPLETED_S = 30 * 86_400;

/** Builds the notifier from its parsed config and starts consuming `security-alerts` and delivering. */
export async function startNotifier(config: NotifierConfig, logger: Logger): Promise<Notifier> {
  const log = logger.child({ component: 'notifier' });
  const topics = topicNames(config.KEYWATCH_TOPIC_PREFIX);
  const parts: Closeable[] = [];
  // Registered as created, in shutdown order, so a failed start closes what exists.
  const register = (name: string, close: () => unknown) =>
    parts.unshift({
      name,
      close: async () => {
        await close();
      },
    });
  try {
    const redis = createRedis({
      url: config.REDIS_URL,
      keyPrefix: config.NOTIFIER_REDIS_PREFIX,
      connectionName: 'notifier',
      commandTimeoutMs: 5000,
    });
    // BullMQ: its own prefix (no ioredis keyPrefix), and workers need maxRetriesPerRequest null.
    const bull = createRedis({
      url: config.REDIS_URL,
      keyPrefix: '',
      connectionName: 'notifier-bullmq',
      maxRetriesPerRequest: null,
      commandTimeoutMs: null,
    });
    register('redis', () => Promise.allSettled([redis.quit(), bull.quit()]));
    const webhooks = createWebhookStore({ redis, box: createSecretBox(config.KEYWATCH_SECRETS_KEY) });
    const deliveries = createDeliveryLog({ redis });
    const queue: DeliveryQueue = new Queue<DeliveryJobData>(DELIVERY_QUEUE, {
      connection: bull,
      prefix: config.KEYWATCH_NOTIFIER_QUEUE_PREFIX,
    });
    queue.on('error', (error) => log.warn({ err: error }, 'queue error'));
    register('queue', () => queue.close());
    const metrics = createNotifierMetrics({
      queueDepth: async () => {
        const counts = await queue.getJobCounts('waiting', 'delayed', 'active', 'prioritized');
        return Object.values(counts).reduce((a, b) => a + b, 0);
      },
      deadLetters: () => queue.getFailedCount(),
    });
    const server = await serveMetrics(metrics.registry, config.NOTIFIER_METRICS_HOST, config.NOTIFIER_METRICS_PORT);
    register('metrics', () => server.close());

    const worker = createDeliveryWorker({
      connection: bull,
      queueName: DELIVERY_QUEUE,
      prefix: config.KEYWATCH_NOTIFIER_QUEUE_PREFIX,
      webhooks,
      deliveries,
      statuses: createAlertStatusStore({ redis }),
      limiter: createRateLimiter({ redis }),
      metrics,
      logger,
      allowPrivate: config.KEYWATCH_WEBHOOK_ALLOW_PRIVATE,
      timeoutMs: config.NOTIFIER_TIMEOUT,
      concurrency: config.NOTIFIER_CONCURRENCY,
      ratePerMinute: config.NOTIFIER_RATE_LIMIT,
    });
    // close() waits for the jobs in flight to finish (their results are recorded) before returning.
    register('worker', () => worker.close());
    void worker.run().catch((error: unknown) => log.error({ err: error }, 'worker stopped'));
    await worker.waitUntilReady();

    const jobOptions: JobsOptions = {
      attempts: config.NOTIFIER_ATTEMPTS,
      backoff: { type: 'exponential', delay: config.NOTIFIER_BACKOFF, jitter: 0.5 },
      removeOnComplete: { age: KEEP_COMPLETED_S },
      // Dead letters stay until replayed (or removed by an operator).
      removeOnFail: false,
    };
    const consumer: ConsumerRunner = createConsumerRunner({
      kafka: createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'keywatch-notifier', logger }),
      groupId: config.NOTIFIER_GROUP_ID,
      topics: [topics.securityAlerts],
      logger,
      maxWaitTimeMs: 100,
      partitionsConsumedConcurrently: 3,
      handler: createAlertRouter({ webhooks, queue, jobOptions, metrics, logger }),
    });
    register('consumer', () => consumer.close());
    await consumer.start();
    log.info(
      {
        topic: topics.securityAlerts,
        group: config.NOTIFIER_GROUP_ID,
        metrics: server.url,
        prefix: config.KEYWATCH_NOTIFIER_QUEUE_PREFIX,
      },
      'notifier consuming and delivering',
    );
    let closing: Promise<void> | undefined;
    return {
      name: 'notifier',
      parts,
      queue,
      metricsUrl: server.url,
      close: () => (closing ??= closeAll(parts, logger)),
    };
  } catch (error) {
    await closeAll(parts, logger).catch(() => undefined);
    throw error;
  }
}
