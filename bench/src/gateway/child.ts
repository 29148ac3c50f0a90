/**
 * A process of `keywatch bench gateway`: `upstream` (the demo upstream alone), `gateway` (the
 * reference gateway, configured by the usual variables, over the bench's own Redis key prefix in
 * `KW_BENCH_REDIS_PREFIX`; `KW_BENCH_DISCARD_EVENTS=true` builds auth events but sends none) or
 * `floor` (the demo upstream plus the least any gateway of the contract does per request: see
 * {@link startFloor}).
 * Prints `{"url": …}` on stdout once it serves (a gateway: once its lifecycle consumer has
 * joined), and exits on SIGTERM after a graceful close.
 * @module
 */
import { parseConfig } from '@keywatch/config';
import { authEventMessage } from '@keywatch/contracts';
import { AuthEvent, newEventId, toEventTime, topicNames } from '@keywatch/contracts';
import { createKafka, createProducer, type EventProducer, type OutgoingMessage } from '@keywatch/kafka';
import { closeAll } from '@keywatch/lifecycle';
import { createLogger, type Logger } from '@keywatch/logger';
import { createRedis } from '@keywatch/redis';
import { demoRoutes, gatewayConfig, NOT_FOUND, startGateway } from '@keywatch/gateway';
import Fastify, { type FastifyInstance } from 'fastify';

/** The gateway's demo routes as a server of their own: the upstream the gateway is measured against. */
function buildDemoUpstream(): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024 });
  demoRoutes(app);
  app.setNotFoundHandler((_request, reply) => reply.code(404).send(NOT_FOUND));
  return app;
}

/**
 * The floor of the gateway overhead: the demo upstream plus, per request, one Redis round trip
 * (a GET of one small value, auto-pipelined as the gateway's client is; `KW_BENCH_FLOOR_REDIS=false`
 * leaves it out) and, with `KW_BENCH_FLOOR_KAFKA=true`, one message to the auth-events topic (the
 * same bytes every time, batched as the gateway's emitter batches: up to 500 per send, at least
 * every 50 ms, one send in flight). No key parsing, hashing, cache, scope check, rate-limit
 * arithmetic, event building, headers or metrics. An event per request is a Kafka message per
 * request whatever the design, so the Kafka-only floor bounds every gateway of the contract; the
 * Redis round trip is the floor of a limit shared by the instances when requests' calls do not
 * coalesce (a design could batch concurrent requests' checks into fewer calls: the SDK does for
 * one key's).
 */
async function startFloor(logger: Logger): Promise<{ url: string; close(): Promise<void> }> {
  const env = (name: string) =>
    process.env[name] ??
    (() => {
      throw new Error(`bench-child floor: ${name} is not set`);
    })();
  const app = buildDemoUpstream();
  const redis = createRedis({
    url: env('REDIS_URL'),
    keyPrefix: env('KW_BENCH_REDIS_PREFIX'),
    connectionName: 'keywatch-bench-floor',
  });
  redis.options.enableAutoPipelining = true;
  await redis.set('floor', 'x'.repeat(64));
  let producer: EventProducer | null = null;
  const pending: OutgoingMessage[] = [];
  let sending = false;
  let timer: NodeJS.Timeout | undefined;
  if (process.env.KW_BENCH_FLOOR_KAFKA === 'true') {
    producer = await createProducer(
      createKafka({ brokers: env('KAFKA_BROKERS').split(','), clientId: 'keywatch-bench-floor', logger }),
    );
  }
  const topic = topicNames(process.env.KEYWATCH_TOPIC_PREFIX).authEvents;
  // A real auth event (docs/contracts.md#auth-event), encoded once and sent as is every time.
  const event: AuthEvent = {
    v: 1,
    event_id: newEventId(),
    ts: toEventTime(Date.now()),
    gateway_id: 'bench-floor',
    request_id: 'req_bench_floor',
    tenant_id: 'tenant_bench_floor',
    key_id: 'key_0123456789abcdef0123',
    key_type: 'secret',
    environment: 'live',
    key_fingerprint: '0123456789abcdef',
    outcome: 'allowed',
    scope: 'subscriptions:read',
    method: 'GET',
    route: '/v1/subscriptions',
    status: 200,
    latency_ms: 0.4,
    ip: '198.51.100.7',
    user_agent: 'autocannon',
    origin: null,
    rate_limit: { limit: 1000, remaining: 999, window_s: 1 },
  };
  const message = authEventMessage(AuthEvent.parse(event));
  const flush = () => {
    timer = undefined;
    if (sending || pending.length === 0 || !producer) return;
    sending = true;
    void producer
      .send(topic, pending.splice(0, 500))
      .catch((error: unknown) => logger.warn({ err: error }, 'floor: send failed'))
      .finally(() => {
        sending = false;
        if (pending.length >= 500) flush();
        else if (pending.length > 0) timer ??= setTimeout(flush, 50);
      });
  };
  const withRedis = process.env.KW_BENCH_FLOOR_REDIS !== 'false';
  app.addHook('onRequest', async () => {
    if (withRedis) await redis.get('floor');
    if (!producer) return;
    pending.push(message);
    if (pending.length >= 500) flush();
    else timer ??= setTimeout(flush, 50);
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url,
    async close() {
      clearTimeout(timer);
      await app.close();
      await producer?.close();
      redis.disconnect();
    },
  };
}

async function main(kind: string | undefined): Promise<void> {
  const logger = createLogger({ name: `bench-${kind ?? 'child'}`, level: 'warn' });
  if (kind === 'upstream') {
    const upstream = buildDemoUpstream();
    const url = await upstream.listen({ host: '127.0.0.1', port: 0 });
    process.once('SIGTERM', () => void upstream.close().finally(() => process.exit(0)));
    process.stdout.write(`${JSON.stringify({ url })}\n`);
    return;
  }
  if (kind === 'floor') {
    const floor = await startFloor(logger);
    process.once('SIGTERM', () => void floor.close().finally(() => process.exit(0)));
    process.stdout.write(`${JSON.stringify({ url: floor.url })}\n`);
    return;
  }
  if (kind !== 'gateway') throw new Error(`usage: bench-child upstream|gateway|floor (got ${String(kind)})`);
  const config = parseConfig(gatewayConfig, process.env);
  const gateway = await startGateway(config, logger, {
    redisKeyPrefix: process.env.KW_BENCH_REDIS_PREFIX,
    discardEvents: process.env.KW_BENCH_DISCARD_EVENTS === 'true',
  });
  process.once('SIGTERM', () => void closeAll(gateway.parts, logger).finally(() => process.exit(0)));
  await gateway.invalidator.ready();
  process.stdout.write(`${JSON.stringify({ url: gateway.url })}\n`);
}

main(process.argv[2]).catch((error: unknown) => {
  process.stderr.write(`bench-child: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
