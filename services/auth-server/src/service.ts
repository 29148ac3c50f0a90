import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { hostname } from 'node:os';
import { isIP } from 'node:net';
import { createAuthEventEmitter, createBackgroundProducer, createThreadedProducer } from '@keywatch/auth-emitter';
import { ConfigError } from '@keywatch/config';
import { newRequestId, topicNames } from '@keywatch/contracts';
import {
  createCacheInvalidator,
  createGatewayMetrics,
  createKeywatch,
  createLookupAndLimit,
  KeyCache,
  type CacheInvalidator,
  type GatewayMetrics,
  type Keywatch,
  loadRouteTable,
  startInvalidatorInBackground,
} from '@keywatch/gateway-sdk';
import { fastifyOptions, installErrorHandling } from '@keywatch/http-api';
import { createKafka } from '@keywatch/kafka';
import { createKeyStore } from '@keywatch/keystore';
import { closeAll, type Closeable } from '@keywatch/lifecycle';
import type { Logger } from '@keywatch/logger';
import { createRateLimiter } from '@keywatch/ratelimit';
import { clusterOf, createRedis } from '@keywatch/redis';
import Fastify, { type FastifyInstance } from 'fastify';
import type { z } from 'zod';
import type { authServerConfig } from './config.js';
import { installRoutes, TOKEN_HEADER, VERIFY_BODY_LIMIT } from './routes.js';
import { createHeldEvents, listenForStatusReports, type HeldEvents } from './status-reports.js';

/** The parsed {@link authServerConfig}. */
export type AuthServerConfig = z.output<typeof authServerConfig>;

/** A running auth server. */
export interface AuthServer extends Closeable {
  app: FastifyInstance;
  /** Where it listens, e.g. http://127.0.0.1:8089. */
  url: string;
  /** `gateway_id` of events whose caller names none. */
  defaultCallerId: string;
  keywatch: Keywatch;
  invalidator: CacheInvalidator;
  metrics: GatewayMetrics;
  /** Allowed events waiting for their proxy's status report. */
  held: HeldEvents;
  /** The UDP port status reports go to, when AUTH_SERVER_STATUS_REPORTS is on. */
  statusPort: number | null;
  parts: Closeable[];
}

/** Options for tests and embedding. */
export interface AuthServerOptions {
  /** The key service's Redis key prefix (default: the shared `keywatch:`). */
  redisKeyPrefix?: string;
}

function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  const bare = host.replace(/^\[|\]$/g, '');
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare === '::1' || bare.startsWith('::ffff:127.');
}

/** Constant-time token check: both sides hashed first, so the length leaks nothing either. */
export function tokenMatcher(token: string): (given: string) => boolean {
  const want = createHash('sha256').update(token).digest();
  return (given) => timingSafeEqual(createHash('sha256').update(given).digest(), want);
}

/**
 * Builds the auth server: the gateway SDK's pipeline (cache, Redis miss path, lifecycle
 * invalidation, rate limits, auth events) behind `POST /v1/verify` and `/v1/forward-auth`.
 * Refuses to start on a non-loopback address without AUTH_SERVER_TOKEN.
 */
export async function startAuthServer(
  config: AuthServerConfig,
  logger: Logger,
  options: AuthServerOptions = {},
): Promise<AuthServer> {
  if (config.AUTH_SERVER_TOKEN === undefined && !isLoopback(config.AUTH_SERVER_HOST)) {
    throw new ConfigError([
      {
        variable: 'AUTH_SERVER_TOKEN',
        reason: `required to listen on ${config.AUTH_SERVER_HOST} (not a loopback address): callers must authenticate`,
      },
    ]);
  }
  const defaultCallerId =
    config.AUTH_SERVER_ID ??
    `auth-server-${hostname()
      .replace(/[^A-Za-z0-9._-]/g, '-')
      .slice(0, 80)}`;
  const instance = `${defaultCallerId}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const log = logger.child({ component: 'auth-server' });
  const topics = topicNames(config.KEYWATCH_TOPIC_PREFIX);
  const routes = loadRouteTable(config.AUTH_SERVER_ROUTES_FILE, 'AUTH_SERVER_ROUTES_FILE');
  const redis = createRedis({
    url: config.REDIS_URL,
    keyPrefix: options.redisKeyPrefix,
    connectionName: instance,
    commandTimeoutMs: config.AUTH_SERVER_REDIS_TIMEOUT * 2,
  });
  // Not on a Cluster: ioredis groups auto-pipelined EVALSHA by sha, not key (mixed-slot pipelines).
  if (clusterOf(redis) === undefined) redis.options.enableAutoPipelining = true;
  let lastRedisError = -Infinity;
  redis.on('error', (error: unknown) => {
    if (Date.now() - lastRedisError < 5000) return;
    lastRedisError = Date.now();
    log.warn({ err: error }, 'redis connection error');
  });
  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: `keywatch-${instance}`, logger: log });
  // Encoding and sending on a worker thread keeps KafkaJS's batches off the verify latency's tail.
  const producer = config.AUTH_SERVER_EVENT_THREAD
    ? createThreadedProducer(
        {
          brokers: config.KAFKA_BROKERS,
          clientId: `keywatch-${instance}`,
          loggerName: 'auth-server',
          logLevel: config.LOG_LEVEL,
        },
        log,
      )
    : createBackgroundProducer(kafka, log);
  const parts: Closeable[] = [];
  try {
    const late: { keywatch?: Keywatch; invalidator?: CacheInvalidator } = {};
    const emitter = createAuthEventEmitter({
      producer,
      topic: topics.authEvents,
      logger: log,
      maxBuffer: config.AUTH_SERVER_EVENT_BUFFER,
      onDrop: (count, reason) => metrics.dropped(count, reason),
    });
    const metrics = createGatewayMetrics({
      keywatch: () => late.keywatch!,
      emitter: () => emitter,
      invalidator: () => late.invalidator!,
    });
    const cache = new KeyCache({
      max: config.AUTH_SERVER_CACHE_MAX,
      ttlMs: config.AUTH_SERVER_CACHE_TTL,
      negativeTtlMs: config.AUTH_SERVER_NEGATIVE_CACHE_TTL,
    });
    const held = createHeldEvents({
      emit: (event) => emitter.emit(event),
      waitMs: config.AUTH_SERVER_STATUS_WAIT,
      max: config.AUTH_SERVER_EVENT_BUFFER,
      logger: log,
    });
    // The SDK stamps one gateway_id; each event is re-stamped with the caller's name, which
    // `report` sets around the synchronous `finish` → `emit` call (and whether to hold it).
    let caller = defaultCallerId;
    let holding = false;
    const keywatch = createKeywatch({
      gatewayId: defaultCallerId,
      environment: config.AUTH_SERVER_ENVIRONMENT,
      routes,
      store: createKeyStore({ redis }),
      limiter: createRateLimiter({ redis }),
      // The combined script spans two slots (keystore and bucket): separate calls on a Redis Cluster.
      lookupAndLimit:
        config.AUTH_SERVER_MISS_PATH === 'combined' && clusterOf(redis) === undefined
          ? createLookupAndLimit({ redis })
          : undefined,
      cache,
      fingerprintSecret: config.KEYWATCH_FINGERPRINT_SECRET,
      pepper: config.KEYWATCH_KEY_PEPPER,
      redisTimeoutMs: config.AUTH_SERVER_REDIS_TIMEOUT,
      breaker: {
        failureThreshold: config.AUTH_SERVER_REDIS_BREAKER_FAILURES,
        openMs: config.AUTH_SERVER_REDIS_BREAKER_OPEN,
      },
      logger: log,
      emit: (event) => {
        const named = event.gateway_id === caller ? event : { ...event, gateway_id: caller };
        if (holding) held.hold(named);
        else emitter.emit(named);
      },
      onDecision: (decision, status) => metrics.observe(decision, status),
    });
    const invalidator = createCacheInvalidator({
      kafka,
      topic: topics.keyLifecycle,
      groupId: `${instance}-lifecycle`,
      cache,
      logger: log,
    });
    Object.assign(late, { keywatch, invalidator });

    const app = Fastify(
      fastifyOptions({
        logger: false,
        bodyLimit: VERIFY_BODY_LIMIT,
        genReqId: newRequestId,
        requestIdHeader: false,
        return503OnClosing: true,
      }),
    );
    installErrorHandling(app, { logger: log, bodyLimit: VERIFY_BODY_LIMIT });
    const tokenOk = config.AUTH_SERVER_TOKEN === undefined ? null : tokenMatcher(config.AUTH_SERVER_TOKEN);
    if (tokenOk) {
      app.addHook('onRequest', async (request, reply) => {
        if (request.routeOptions.url === '/healthz') return;
        const given = request.headers[TOKEN_HEADER];
        if (typeof given !== 'string' || !tokenOk(given)) {
          return reply
            .code(401)
            .header('www-authenticate', 'Keywatch-Auth-Token')
            .send({
              error: {
                code: 'unauthorized',
                message: `the ${TOKEN_HEADER} header is missing or wrong`,
                field: TOKEN_HEADER,
              },
            });
        }
      });
    }
    app.get('/healthz', async () => ({ ok: true }));
    app.get('/metrics', async (_request, reply) =>
      reply.header('content-type', metrics.registry.contentType).send(await metrics.registry.metrics()),
    );
    installRoutes(app, {
      keywatch,
      trustedProxies: config.AUTH_SERVER_TRUSTED_PROXIES,
      defaultCallerId,
      openapi: config.AUTH_SERVER_OPENAPI,
      statusReports: config.AUTH_SERVER_STATUS_REPORTS,
      report: (decision, status, name, hold) => {
        caller = name;
        holding = hold;
        try {
          keywatch.finish(decision, status);
        } finally {
          caller = defaultCallerId;
          holding = false;
        }
      },
    });

    parts.push(
      { name: 'http', close: () => app.close() },
      { name: 'lifecycle-consumer', close: () => invalidator.close() },
      // Held events go to the emitter before it flushes and closes.
      held,
      { name: 'auth-events', close: () => emitter.close() },
      { name: 'producer', close: () => producer.close() },
      {
        name: 'redis',
        close: async () => {
          await redis.quit().catch(() => redis.disconnect());
        },
      },
    );
    // As in the reference gateway: serving does not wait for Kafka; the cache TTL bounds staleness
    // until the lifecycle consumer is in, and it retries until then.
    parts.splice(
      1,
      0,
      startInvalidatorInBackground(invalidator, {
        log,
        message: 'lifecycle consumer could not start; retrying in 5 s',
      }),
    );
    const url = await app.listen({ host: config.AUTH_SERVER_HOST, port: config.AUTH_SERVER_PORT });
    let statusPort: number | null = null;
    if (config.AUTH_SERVER_STATUS_REPORTS) {
      const reports = await listenForStatusReports({
        host: config.AUTH_SERVER_HOST,
        port: config.AUTH_SERVER_STATUS_PORT ?? Number(new URL(url).port),
        trusted: config.AUTH_SERVER_TRUSTED_PROXIES,
        held,
        logger: log,
      });
      statusPort = reports.port;
      // Reports stop before the held events are flushed.
      parts.splice(parts.indexOf(held), 0, reports);
    }
    log.info(
      {
        url,
        environment: config.AUTH_SERVER_ENVIRONMENT,
        routes: routes.rules.length,
        token: tokenOk !== null,
        status_reports: statusPort === null ? 'off' : `udp ${statusPort}`,
      },
      'auth server listening',
    );
    let closing: Promise<void> | undefined;
    return {
      name: 'auth-server',
      app,
      url,
      defaultCallerId,
      keywatch,
      invalidator,
      metrics,
      held,
      statusPort,
      parts,
      close: () => (closing ??= closeAll(parts, log)),
    };
  } catch (error) {
    parts.push({ name: 'producer', close: () => producer.close() }, { name: 'redis', close: () => redis.disconnect() });
    await closeAll(parts, log).catch(() => undefined);
    throw error;
  }
}
