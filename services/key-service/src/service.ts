import { hostname } from 'node:os';
import { createAuthEventEmitter } from '@keywatch/auth-emitter';
import { topicNames } from '@keywatch/contracts';
import { createConsumerRunner, createKafka, createProducer } from '@keywatch/kafka';
import { createKeyStore } from '@keywatch/keystore';
import { closeAll, type Closeable } from '@keywatch/lifecycle';
import type { Logger } from '@keywatch/logger';
import { createRateLimiter } from '@keywatch/ratelimit';
import { createRedis } from '@keywatch/redis';
import { createClickHouse } from '@keywatch/clickhouse';
import { createAlertPath } from './alert-path.js';
import { createHygieneSweeper } from './hygiene.js';
import { loadGithubVerifier } from './leaks/github-keys.js';
import { LeakIntake } from './leaks/intake.js';
import { clickhouseLastUse } from './leaks/last-use.js';
import { TenantSettings } from './settings.js';
import { createDeliveryLog, createSecretBox, createWebhookStore, openDeliveryQueue } from '@keywatch/webhooks';
import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { KeyAdmin } from './admin.js';
import { buildApp } from './app.js';
import { createAuthenticator } from './auth.js';
import type { keyServiceConfig } from './config.js';
import { createExpirySweeper, createLifecycleRelay } from './relay.js';
import { createTriggerHandler } from './triggers.js';
import { WebhookAdmin } from './webhooks.js';

export interface KeyService extends Closeable {
  app: FastifyInstance;
  /** The address it listens on, e.g. http://127.0.0.1:8080. */
  url: string;
  /** Shutdown order: stop taking requests and triggers, flush events, then close the clients. */
  parts: Closeable[];
}

/** Builds the key service from its parsed config, starts listening, consuming and relaying. */
export async function startKeyService(
  config: z.output<typeof keyServiceConfig>,
  logger: Logger,
  options: { redisKeyPrefix?: string } = {},
): Promise<KeyService> {
  const instance = `${hostname()}-${process.pid}`;
  const topics = topicNames(config.KEYWATCH_TOPIC_PREFIX);
  // Parts are registered as they are created, in shutdown order, so a failed start closes what exists.
  const parts: Closeable[] = [];
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
      keyPrefix: options.redisKeyPrefix,
      connectionName: 'key-service',
    });
    // The outbox relay blocks on XREADGROUP; it gets a connection of its own.
    const relayRedis = redis.duplicate();
    register('redis', () => Promise.allSettled([redis.quit(), relayRedis.quit()]));
    const store = createKeyStore({ redis });
    const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'keywatch-key-service', logger });
    const producer = await createProducer(kafka);
    register('producer', () => producer.close());
    const emitter = createAuthEventEmitter({ producer, topic: topics.authEvents, logger });
    register('auth-events', () => emitter.close());
    const relay = createLifecycleRelay({
      store: createKeyStore({ redis: relayRedis }),
      producer,
      topic: topics.keyLifecycle,
      consumer: instance,
      logger,
    });
    relay.start();
    register('relay', () => relay.close());
    const clickhouse = createClickHouse({
      url: config.CLICKHOUSE_URL,
      database: config.CLICKHOUSE_DATABASE,
      username: config.CLICKHOUSE_USER,
      password: config.CLICKHOUSE_PASSWORD,
      logger,
      requestTimeoutMs: 10_000,
    });
    register('clickhouse', () => clickhouse.close());
    const alerts = createAlertPath({ producer, topics, clickhouse, logger });
    register('alert-rows', () => alerts.close());
    const settings = new TenantSettings({ redis, audit: store });
    const github = config.KEYWATCH_GITHUB_SCANNING_KEYS_FILE
      ? loadGithubVerifier(config.KEYWATCH_GITHUB_SCANNING_KEYS_FILE)
      : null;
    if (!github)
      logger.warn('KEYWATCH_GITHUB_SCANNING_KEYS_FILE is not set: /v1/leaks/github answers 422 not_configured');
    const intake = new LeakIntake({
      store,
      redis,
      alerts,
      lastUse: clickhouseLastUse(clickhouse),
      pepper: config.KEYWATCH_KEY_PEPPER,
      logger,
    });
    const hygiene = createHygieneSweeper({
      store,
      redis,
      alerts,
      settings,
      logger,
      intervalMs: config.KEY_SERVICE_HYGIENE_SWEEP,
    });
    hygiene.start();
    register('hygiene', () => hygiene.close());
    const sweeper = createExpirySweeper({ store, intervalMs: config.KEY_SERVICE_EXPIRY_SWEEP, logger });
    sweeper.start();
    register('expiry', () => sweeper.close());
    const triggers = createConsumerRunner({
      kafka,
      groupId: config.KEY_SERVICE_GROUP_ID,
      topics: [topics.keyRevocationTriggers],
      logger,
      handler: createTriggerHandler({
        store,
        logger,
        leakAction: (tenant, type) => settings.leakAction(tenant, type),
      }),
    });
    register('triggers', () => triggers.close());
    await triggers.start();
    if (!config.KEYWATCH_SECRETS_KEY)
      logger.warn('KEYWATCH_SECRETS_KEY is not set: /v1/webhooks answers 422 not_configured');
    // BullMQ keys carry their own prefix, so the queue's connection has none.
    const queueRedis = createRedis({ url: config.REDIS_URL, keyPrefix: '', connectionName: 'key-service-queue' });
    const queue = openDeliveryQueue({ connection: queueRedis, prefix: config.KEYWATCH_NOTIFIER_QUEUE_PREFIX });
    queue.on('error', (error) => logger.warn({ err: error }, 'delivery queue error'));
    register('delivery-queue', () => Promise.allSettled([queue.close()]).then(() => queueRedis.quit()));
    const webhooks = new WebhookAdmin({
      store: config.KEYWATCH_SECRETS_KEY
        ? createWebhookStore({ redis, box: createSecretBox(config.KEYWATCH_SECRETS_KEY) })
        : null,
      deliveries: createDeliveryLog({ redis }),
      queue,
      keys: store,
      allowPrivate: config.KEYWATCH_WEBHOOK_ALLOW_PRIVATE,
    });
    const leaks = { intake, settings, github };
    const app = buildApp({
      webhooks,
      leaks,
      store,
      admin: new KeyAdmin(store, { pepper: config.KEYWATCH_KEY_PEPPER }),
      authenticate: createAuthenticator({
        store,
        rootKey: config.KEYWATCH_ROOT_KEY,
        fingerprintSecret: config.KEYWATCH_FINGERPRINT_SECRET,
        pepper: config.KEYWATCH_KEY_PEPPER,
      }),
      limiter: createRateLimiter({ redis }),
      emit: (event) => emitter.emit(event),
      logger,
      limits: {
        perIp: { limit: config.KEY_SERVICE_RATE_LIMIT_PER_IP, window_s: 60 },
        perKey: { limit: config.KEY_SERVICE_RATE_LIMIT_PER_KEY, window_s: 60 },
      },
      gatewayId: `key-service-${instance}`,
      trustedProxies: config.KEY_SERVICE_TRUSTED_PROXIES,
    });
    register('http', () => app.close());
    const url = await app.listen({ host: config.KEY_SERVICE_HOST, port: config.KEY_SERVICE_PORT });
    logger.info({ url }, 'key service listening');
    return { name: 'key-service', app, url, parts, close: () => closeAll(parts, logger) };
  } catch (error) {
    await closeAll(parts, logger).catch(() => undefined);
    throw error;
  }
}
