import { createHash, randomBytes } from 'node:crypto';
import { parseConfig } from '@keywatch/config';
import type { AuthEvent } from '@keywatch/contracts';
import type { Logger } from '@keywatch/logger';
import { analyticsConfig, startAnalyticsApi } from '@keywatch/analytics-api';
import { consoleConfig, startConsole } from '@keywatch/console';
import { eventAt, IPS, startWorkerOn } from '@keywatch/detector-worker/testing';
import { ingestConfig, startIngestWorker } from '@keywatch/ingest-worker';
import { startTestKeyService } from '@keywatch/key-service/testing';
import type { ClickHouseFixture, KafkaFixture, RedisFixture } from '@keywatch/testkit';
import { createProducer, produceEvents, repoRoot } from '@keywatch/testkit/support';

// The whole system on real engines (key service, analytics API, ingest and detector workers, console)
// for the console's end-to-end test and the screenshot tool; no vitest helpers, so it runs outside vitest.

export interface Fixtures {
  kafka: KafkaFixture;
  clickhouse: ClickHouseFixture;
  redis: RedisFixture;
  logger: Logger;
}

export interface DemoKey {
  id: string;
  secret: string;
  name: string;
}

/** Starts every service on free ports and creates the tenant's keys (as root, through the key service). */
export async function startSystem(fixtures: Fixtures, options: { tenantId?: string } = {}) {
  const { kafka, clickhouse, redis, logger } = fixtures;
  const tenantId = options.tenantId ?? 'tenant_acme';
  const closers: Array<() => unknown> = [];
  const close = async () => {
    for (const c of closers.reverse())
      await Promise.resolve()
        .then(c)
        .catch((error: unknown) => logger.warn({ err: error }, 'closing part of the test system failed'));
  };
  try {
    await kafka.provision({ maxPartitions: 3 });
    // The detector's starter applies the ClickHouse migrations before the other parts need them.
    const detector = await startWorkerOn({
      brokers: kafka.brokers,
      kafka: kafka.kafka,
      topicPrefix: kafka.prefix,
      clickhouseUrl: clickhouse.url,
      database: clickhouse.database,
      redisUrl: redis.url,
      redisPrefix: `${redis.prefix}detector:`,
      logger,
      repoRoot,
    });
    closers.push(() => detector.close());
    const engines = {
      KAFKA_BROKERS: kafka.brokers.join(','),
      CLICKHOUSE_URL: clickhouse.url,
      CLICKHOUSE_DATABASE: clickhouse.database,
      REDIS_URL: redis.url,
      KEYWATCH_TOPIC_PREFIX: kafka.prefix,
      LOG_LEVEL: 'warn',
    };
    const ingest = await startIngestWorker(
      parseConfig(ingestConfig, {
        ...engines,
        INGEST_GROUP_ID: `ingest-${randomBytes(6).toString('hex')}`,
        INGEST_METRICS_PORT: '-1',
        INGEST_RETENTION_INTERVAL: '0',
      }),
      logger,
    );
    closers.push(() => ingest.close());
    const producer = await createProducer(kafka.kafka);
    closers.push(() => producer.close());
    // A secrets key so that the console's Webhooks page can register destinations.
    const keyService = await startTestKeyService(
      { kafka, redis, logger },
      { KEYWATCH_SECRETS_KEY: randomBytes(32).toString('hex') },
    );
    closers.push(() => keyService.close());
    const analytics = await startAnalyticsApi(
      parseConfig(analyticsConfig, { ...engines, ANALYTICS_API_PORT: '0' }),
      logger,
      { redisKeyPrefix: redis.prefix },
    );
    closers.push(() => analytics.close());
    /** A console instance; every one started here shares the sessions in the test's Redis prefix. */
    const startConsoleInstance = async () => {
      const instance = await startConsole(
        parseConfig(consoleConfig, {
          CONSOLE_PORT: '0',
          KEYWATCH_KEY_SERVICE_URL: keyService.url,
          KEYWATCH_ANALYTICS_URL: analytics.url,
          REDIS_URL: redis.url,
          LOG_LEVEL: 'warn',
        }),
        logger,
        { redisKeyPrefix: redis.prefix },
      );
      closers.push(() => instance.close());
      return instance;
    };
    const consoleServer = await startConsoleInstance();

    const create = async (name: string, scopes?: string[]): Promise<DemoKey> => {
      const key = await keyService.createKey({
        tenant_id: tenantId,
        type: 'secret',
        environment: 'live',
        name,
        ...(scopes ? { scopes } : {}),
      });
      return { id: key.id, secret: key.secret, name };
    };
    const keys = {
      /** The person's key for the console. */
      admin: await create('security-console', ['analytics:read', 'audit:read', 'keys:manage', 'webhooks:manage']),
      /** A backend that leaks its secret key into a browser once. */
      checkout: await create('checkout-backend'),
      /** A key used in Berlin, then in Sydney an hour later. */
      mobile: await create('mobile-app'),
      /** A partner integration with many refusals. */
      partner: await create('partner-sync'),
    };
    /** A GET of the analytics API with a key, body parsed. */
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- callers name the JSON shape they expect from the API
    const analyticsGet = async <T>(pathAndQuery: string, key: string): Promise<{ status: number; body: T }> => {
      const response = await fetch(new URL(pathAndQuery, analytics.url), {
        headers: { authorization: `Bearer ${key}` },
      });
      return { status: response.status, body: (await response.json()) as T };
    };
    const produce = (events: readonly AuthEvent[]) => produceEvents(producer, kafka.topics.authEvents, events);
    return {
      tenantId,
      keys,
      produce,
      analyticsGet,
      keyService,
      console: consoleServer,
      consoleUrl: consoleServer.url,
      startConsoleInstance,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

export type System = Awaited<ReturnType<typeof startSystem>>;

/**
 * The traffic of the last two hours, as gateways would have reported it: steady use of the
 * checkout key from three countries with a few errors and one request carrying a browser
 * `Origin` (→ secret_key_client_side), a mobile key learnt in Berlin and then seen in Sydney
 * (→ impossible_travel, geo_new_country), and a partner key refused 25 times (→ failed_auth_spike).
 */
export function demoTraffic(system: Pick<System, 'tenantId' | 'keys'>, now = Date.now()): AuthEvent[] {
  const { tenantId, keys } = system;
  // One credential per key: the same fingerprint on every event of a key, as a gateway reports it.
  const fingerprint = (key: DemoKey) => createHash('sha256').update(key.id).digest('hex').slice(0, 16);
  const as = (key: DemoKey) => ({
    tenant_id: tenantId,
    key_id: key.id,
    key_type: 'secret' as const,
    environment: 'live' as const,
    key_fingerprint: fingerprint(key),
  });
  const events: AuthEvent[] = [];
  const homes = [IPS.london, IPS.parkForest, IPS.amsterdam];
  const routes = [
    { route: '/v1/subscriptions', scope: 'subscriptions:read', method: 'GET' },
    { route: '/v1/customers/:id', scope: 'customers:read', method: 'GET' },
    { route: '/v1/payments', scope: 'payments:write', method: 'POST' },
  ] as const;
  for (let i = 0; i < 150; i += 1) {
    const r = routes[i % routes.length]!;
    const failed = i % 15 === 7;
    events.push(
      eventAt(now - 110 * 60_000 + i * 40_000, {
        ...as(keys.checkout),
        ...r,
        ip: homes[i % homes.length]!,
        outcome: failed ? 'insufficient_scope' : 'allowed',
        status: failed ? 403 : i % 25 === 3 ? 502 : 200,
        latency_ms: 8 + (i % 40),
      }),
    );
  }
  events.push(
    eventAt(now - 9 * 60_000, {
      ...as(keys.checkout),
      ip: IPS.london,
      origin: 'https://shop.example',
      user_agent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0',
    }),
  );
  for (let i = 0; i < 12; i += 1)
    events.push(
      eventAt(now - 100 * 60_000 + i * 2 * 60_000, {
        ...as(keys.mobile),
        ip: IPS.berlin,
        route: '/v1/bundles',
        scope: 'bundles:read',
      }),
    );
  events.push(
    eventAt(now - 12 * 60_000, { ...as(keys.mobile), ip: IPS.sydney, route: '/v1/bundles', scope: 'bundles:read' }),
  );
  for (let i = 0; i < 40; i += 1) {
    const refused = i >= 15;
    events.push(
      eventAt(now - 40 * 60_000 + i * 45_000, {
        ...as(keys.partner),
        ip: IPS.singapore,
        route: '/v1/customers/:id',
        scope: 'customers:read',
        outcome: refused ? 'insufficient_scope' : 'allowed',
        status: refused ? 403 : 200,
      }),
    );
  }
  return events.sort((a, b) => a.ts.localeCompare(b.ts));
}

/** Polls `read` until `done` holds or the deadline passes; returns the last value. */
export async function waitFor<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value)) {
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(value).slice(0, 500)}`,
      );
    await new Promise((r) => setTimeout(r, 250));
    value = await read();
  }
  return value;
}

/** Produces the demo traffic and waits until the analytics API counts all of it and the detector's alerts are in the feed. */
export async function sendDemoTraffic(system: System, timeoutMs = 120_000): Promise<{ events: AuthEvent[] }> {
  const events = demoTraffic(system);
  await system.produce(events);
  const admin = system.keys.admin.secret;
  const from = new Date(Date.now() - 3 * 3_600_000).toISOString();
  await waitFor(
    async () => {
      const answer = await system.analyticsGet<{ keys?: Array<{ requests: number }> }>(
        `/v1/analytics/keys?limit=100&from=${from}`,
        admin,
      );
      return (answer.body.keys ?? []).reduce((sum, k) => sum + k.requests, 0);
    },
    (n) => n >= events.length,
    timeoutMs,
    `${events.length} events in the analytics API`,
  );
  await waitFor(
    async () =>
      (await system.analyticsGet<{ alerts?: Array<{ type: string }> }>('/v1/alerts?limit=100', admin)).body.alerts?.map(
        (a) => a.type,
      ) ?? [],
    (types) => ['secret_key_client_side', 'impossible_travel', 'failed_auth_spike'].every((t) => types.includes(t)),
    timeoutMs,
    'the alerts of the demo traffic in the alert feed',
  );
  return { events };
}
