import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { createAuthEventEmitter, createBackgroundProducer, createThreadedProducer } from '@keywatch/auth-emitter';
import { newRequestId, topicNames } from '@keywatch/contracts';
import {
  createCacheInvalidator,
  createDiskSpool,
  createGatewayMetrics,
  createKeywatch,
  createLookupAndLimit,
  installKeywatch,
  isPreflight,
  KeyCache,
  type CacheInvalidator,
  type DiskSpool,
  type GatewayMetrics,
  type Keywatch,
  loadRouteTable,
  startInvalidatorInBackground,
} from '@keywatch/gateway-sdk';
import { fastifyOptions, installErrorHandling } from '@keywatch/http-api';
import { createKafka, type EventProducer } from '@keywatch/kafka';
import { createKeyStore } from '@keywatch/keystore';
import { closeAll, type Closeable } from '@keywatch/lifecycle';
import type { Logger } from '@keywatch/logger';
import { createRateLimiter } from '@keywatch/ratelimit';
import { clusterOf, createRedis } from '@keywatch/redis';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { z } from 'zod';
import type { gatewayConfig } from './config.js';
import { createProxy } from './proxy.js';
import { demoRoutes, NOT_FOUND } from './upstream.js';

const CORS_EXPOSED = 'ratelimit-limit, ratelimit-remaining, ratelimit-reset, retry-after, x-request-id';
const CORS_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE';

/** A running reference gateway. */
export interface Gateway extends Closeable {
  app: FastifyInstance;
  /** Where it listens, e.g. http://127.0.0.1:8088. */
  url: string;
  /** Where allowed requests go; `null`: the demo routes, served by the gateway itself. */
  upstreamUrl: string | null;
  gatewayId: string;
  keywatch: Keywatch;
  invalidator: CacheInvalidator;
  metrics: GatewayMetrics;
  /** Shutdown order: stop accepting, stop consuming, flush events, close clients. */
  parts: Closeable[];
}

/** Options for tests and embedding. */
export interface GatewayOptions {
  /** The key service's Redis key prefix (default: the shared `keywatch:`). */
  redisKeyPrefix?: string;
  /**
   * Benchmarks only (`keywatch bench gateway`, to show what emission costs): build each auth
   * event but never hand it to the emitter. Not reachable from configuration.
   */
  discardEvents?: boolean;
}

/**
 * Builds the reference gateway from its parsed config: the SDK in front of the upstream (or the
 * built-in demo upstream), `/metrics` and `/healthz` unauthenticated, everything else checked
 * against the route table. Resolves once it listens; the lifecycle consumer joins in the
 * background (`gateway.invalidator.ready()`).
 */
export async function startGateway(
  config: z.output<typeof gatewayConfig>,
  logger: Logger,
  options: GatewayOptions = {},
): Promise<Gateway> {
  const gatewayId = config.GATEWAY_ID ?? `${hostname()}-${process.pid}`;
  const log = logger.child({ gateway_id: gatewayId });
  const topics = topicNames(config.KEYWATCH_TOPIC_PREFIX);
  const routes = loadRouteTable(config.GATEWAY_ROUTES_FILE);
  // ioredis's own timeout sits above the SDK's race, so it only reaps commands already given up on.
  const redis = createRedis({
    url: config.REDIS_URL,
    keyPrefix: options.redisKeyPrefix,
    connectionName: `gateway-${gatewayId}`,
    commandTimeoutMs: config.GATEWAY_REDIS_TIMEOUT * 2,
  });
  // Commands issued in the same tick (concurrent requests' rate limits and lookups) go out in one
  // write: one syscall per Redis command was a third of the gateway's CPU under load.
  // (Not on a Cluster: ioredis groups auto-pipelined EVALSHA by the script's sha, not its key, and
  // then refuses the mixed-slot pipeline.)
  if (clusterOf(redis) === undefined) redis.options.enableAutoPipelining = true;
  let lastRedisError = -Infinity;
  redis.on('error', (error: unknown) => {
    // ioredis reports every failed reconnect; one line per 5 s is enough (requests count failures).
    if (Date.now() - lastRedisError < 5000) return;
    lastRedisError = Date.now();
    log.warn({ err: error }, 'redis connection error');
  });
  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: `keywatch-gateway-${gatewayId}`, logger: log });
  const parts: Closeable[] = [];
  let spool: DiskSpool | undefined;
  const late: {
    keywatch?: Keywatch;
    invalidator?: CacheInvalidator;
    emitter?: ReturnType<typeof createAuthEventEmitter>;
  } = {};
  const metrics = createGatewayMetrics({
    keywatch: () => late.keywatch!,
    emitter: () => late.emitter!,
    invalidator: () => late.invalidator!,
  });

  let producer: EventProducer | undefined;
  try {
    producer = config.GATEWAY_EVENT_THREAD
      ? createThreadedProducer(
          {
            brokers: config.KAFKA_BROKERS,
            clientId: `keywatch-gateway-${gatewayId}`,
            loggerName: 'gateway',
            logLevel: config.LOG_LEVEL,
          },
          log,
        )
      : createBackgroundProducer(kafka, log);
    if (config.GATEWAY_EVENT_SPOOL_FILE)
      spool = createDiskSpool({ file: config.GATEWAY_EVENT_SPOOL_FILE, logger: log });
    const emitter = createAuthEventEmitter({
      producer,
      topic: topics.authEvents,
      logger: log,
      maxBuffer: config.GATEWAY_EVENT_BUFFER,
      onDrop: (count, reason) => metrics.dropped(count, reason),
      overflow: spool ? (events) => spool!.overflow(events) : undefined,
    });
    const cache = new KeyCache({
      max: config.GATEWAY_CACHE_MAX,
      ttlMs: config.GATEWAY_CACHE_TTL,
      negativeTtlMs: config.GATEWAY_NEGATIVE_CACHE_TTL,
    });
    const keywatch = createKeywatch({
      gatewayId,
      environment: config.GATEWAY_ENVIRONMENT,
      routes,
      store: createKeyStore({ redis }),
      limiter: createRateLimiter({ redis }),
      // A miss in one round trip (lookup + rate limit); two calls instead on Redis Cluster.
      // The combined script spans two slots (keystore and bucket): separate calls on a Redis Cluster.
      lookupAndLimit:
        config.GATEWAY_MISS_PATH === 'combined' && clusterOf(redis) === undefined
          ? createLookupAndLimit({ redis })
          : undefined,
      cache,
      fingerprintSecret: config.KEYWATCH_FINGERPRINT_SECRET,
      pepper: config.KEYWATCH_KEY_PEPPER,
      redisTimeoutMs: config.GATEWAY_REDIS_TIMEOUT,
      breaker: { failureThreshold: config.GATEWAY_REDIS_BREAKER_FAILURES, openMs: config.GATEWAY_REDIS_BREAKER_OPEN },
      logger: log,
      emit: options.discardEvents ? () => undefined : (event) => emitter.emit(event),
      onDecision: (decision, status) => metrics.observe(decision, status),
    });
    const invalidator = createCacheInvalidator({
      kafka,
      topic: topics.keyLifecycle,
      groupId: `gateway-${gatewayId}-${randomBytes(4).toString('hex')}`,
      cache,
      logger: log,
    });
    Object.assign(late, { keywatch, invalidator, emitter });

    // Without an upstream the demo routes are served in this process: no loopback hop to itself.
    const upstreamUrl = config.GATEWAY_UPSTREAM_URL ?? null;
    const proxy = upstreamUrl === null ? null : createProxy(upstreamUrl, log);

    const app = Fastify(
      fastifyOptions({
        logger: false,
        bodyLimit: 1024 * 1024,
        genReqId: newRequestId,
        requestIdHeader: false,
        return503OnClosing: true,
      }),
    );
    // Refusals below the checks (body, content type, URL, bad header bytes) answer in the same
    // `{ error: { code, message } }` shape as the checks' own; the 404 is the demo routes' own.
    installErrorHandling(app, { logger: log, notFound: false });
    // Bodies are forwarded as received; they are read only after the onRequest checks pass.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    installKeywatch(app, {
      keywatch,
      trustProxy:
        config.GATEWAY_TRUSTED_PROXIES.length > 0 ? config.GATEWAY_TRUSTED_PROXIES : config.GATEWAY_TRUST_PROXY,
    });
    app.get('/healthz', { config: { keywatch: false } }, async () => ({ ok: true, gateway_id: gatewayId }));
    app.get('/metrics', { config: { keywatch: false } }, async (_request, reply) =>
      reply.header('content-type', metrics.registry.contentType).send(await metrics.registry.metrics()),
    );
    // Browsers call with publishable keys: answer preflights, and let pages read answers (no
    // cookies are involved; which origins a key may be used from is the key's allowed_origins).
    // A callback hook, not an async one: no promise per request.
    app.addHook('onSend', (request, reply, payload, done) => {
      const origin = request.headers.origin;
      if (origin !== undefined)
        reply
          .header('access-control-allow-origin', origin)
          .header('vary', 'origin')
          .header('access-control-expose-headers', CORS_EXPOSED);
      done(null, payload);
    });
    const preflight = (reply: FastifyReply) =>
      reply
        .code(204)
        .headers({
          'access-control-allow-methods': CORS_METHODS,
          'access-control-allow-headers': 'authorization, x-api-key, content-type',
          'access-control-max-age': '600',
        })
        .send();
    if (proxy) {
      app.all('/*', async (request, reply) =>
        isPreflight(request.method, request.headers)
          ? preflight(reply)
          : proxy.forward(request, reply, request.keywatchAuth),
      );
    } else {
      demoRoutes(app);
      app.options('/*', async (request, reply) =>
        isPreflight(request.method, request.headers) ? preflight(reply) : reply.code(404).send(NOT_FOUND),
      );
      app.setNotFoundHandler((_request, reply) => reply.code(404).send(NOT_FOUND));
    }

    parts.push(
      { name: 'http', close: () => app.close() },
      { name: 'lifecycle-consumer', close: () => invalidator.close() },
      { name: 'auth-events', close: () => emitter.close() },
      { name: 'producer', close: () => producer?.close() },
      { name: 'spool', close: () => spool?.close() },
      { name: 'proxy', close: () => proxy?.close() },
      {
        name: 'redis',
        close: async () => {
          await redis.quit().catch(() => redis.disconnect());
        },
      },
    );
    // Kafka is not needed to serve: events wait in the emitter (or the spool) and the cache's TTL
    // bounds staleness until the lifecycle consumer is in, so a gateway restarted during a Kafka
    // outage still answers. The consumer keeps retrying until it joins or the gateway closes.
    parts.splice(
      1,
      0,
      startInvalidatorInBackground(invalidator, {
        log,
        message: 'lifecycle consumer could not start; retrying in 5 s (cached keys live at most GATEWAY_CACHE_TTL)',
      }),
    );
    const url = await app.listen({ host: config.GATEWAY_HOST, port: config.GATEWAY_PORT });
    log.info(
      {
        url,
        upstream: upstreamUrl ?? 'built-in demo routes',
        environment: config.GATEWAY_ENVIRONMENT,
        routes: routes.rules.length,
      },
      'gateway listening',
    );
    let closing: Promise<void> | undefined;
    return {
      name: 'gateway',
      app,
      url,
      upstreamUrl,
      gatewayId,
      keywatch,
      invalidator,
      metrics,
      parts,
      close: () => (closing ??= closeAll(parts, log)),
    };
  } catch (error) {
    // A failed start must not leave the producer thread (or a connecting producer) behind.
    parts.push(
      { name: 'producer', close: () => producer?.close() },
      { name: 'redis', close: () => redis.disconnect() },
    );
    await closeAll(parts, log).catch(() => undefined);
    throw error;
  }
}
