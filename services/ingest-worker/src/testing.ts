import path from 'node:path';
import { createClickHouse, identifier, runMigrations, sql, type ClickHouse } from '@keywatch/clickhouse';
import { parseConfig } from '@keywatch/config';
import { exampleAuthEvent, newEventId, statusForOutcome, type AuthEvent, type Outcome } from '@keywatch/contracts';
import { createProducer, type EventProducer } from '@keywatch/kafka';
import type { Logger } from '@keywatch/logger';
import { repoRoot, type ClickHouseFixture, type KafkaFixture } from '@keywatch/testkit';
import { ingestConfig } from './config.js';
import { startIngestWorker, type IngestWorker, type IngestWorkerOverrides } from './worker.js';

/** Addresses with known geoip-lite countries ('' = private, unknown). */
export const GEO_IPS: ReadonlyArray<{ ip: string; country: string }> = [
  { ip: '81.2.69.142', country: 'GB' },
  { ip: '8.8.8.8', country: 'US' },
  { ip: '10.20.30.40', country: '' },
  { ip: '2001:4860:4860::8888', country: 'US' },
];
const OUTCOMES: Outcome[] = ['allowed', 'allowed', 'allowed', 'unknown_key', 'rate_limited', 'insufficient_scope'];
const ROUTES = [
  { route: '/v1/subscriptions', scope: 'subscriptions:read', method: 'GET' },
  { route: '/v1/customers/:id', scope: 'customers:read', method: 'GET' },
  { route: '/v1/payments', scope: 'payments:write', method: 'POST' },
] as const;

/** A deterministic mix of `n` events over `tenants` tenants, 3 keys each, within the last `spreadMinutes` minutes. */
export function knownEvents(
  n: number,
  options: { tenants?: number; spreadMinutes?: number; now?: number } = {},
): AuthEvent[] {
  const tenants = options.tenants ?? 2;
  const now = options.now ?? Date.now();
  const spread = (options.spreadMinutes ?? 5) * 60_000;
  return Array.from({ length: n }, (_, i) => {
    const outcome = OUTCOMES[i % OUTCOMES.length]!;
    const r = ROUTES[i % ROUTES.length]!;
    const tenant = i % tenants;
    return exampleAuthEvent({
      tenant_id: `tenant_t${tenant}`,
      key_id: `key_t${tenant}k${i % 3}`.padEnd(24, '0'),
      outcome,
      status: outcome === 'allowed' ? (i % 10 === 0 ? 502 : 200) : (statusForOutcome(outcome) ?? 400),
      ip: GEO_IPS[i % GEO_IPS.length]!.ip,
      route: r.route,
      scope: r.scope,
      method: r.method,
      latency_ms: (i % 50) + 1,
      ts: new Date(now - spread + Math.floor((i * spread) / Math.max(1, n))).toISOString(),
    });
  });
}

/** Expected counts of events per `key|outcome`, `key|country`, `key|route` and per key. */
export function expectedCounts(events: readonly AuthEvent[]): Record<string, number> {
  const counts: Record<string, number> = {};
  const add = (k: string) => (counts[k] = (counts[k] ?? 0) + 1);
  for (const e of events) {
    const country = GEO_IPS.find((g) => g.ip === e.ip)?.country ?? '?';
    add(`${e.key_id}|outcome|${e.outcome}`);
    add(`${e.key_id}|country|${country}`);
    add(`${e.key_id}|route|${e.route}`);
    add(`${e.key_id}|all`);
  }
  return counts;
}

/** The same counts read from one rollup table (`1m`, `1h` or `1d`) or from the raw table with FINAL. */
export async function countsIn(ch: ClickHouse, source: '1m' | '1h' | '1d' | 'raw'): Promise<Record<string, number>> {
  const table =
    source === 'raw'
      ? sql`(SELECT key_id, outcome, country, route, toUInt64(1) AS n FROM (SELECT event_id, key_id, outcome, route FROM auth_events FINAL) AS events ANY LEFT JOIN (SELECT event_id, country FROM auth_events_enrichment FINAL) AS enrichment USING event_id)`
      : sql`(SELECT key_id, outcome, country, route, countMerge(requests) AS n FROM ${identifier(`auth_rollup_${source}`)} GROUP BY key_id, outcome, country, route)`;
  const rows = await ch.query<{ key_id: string; outcome: string; country: string; route: string; n: string }>(
    sql`SELECT key_id, outcome, country, route, sum(n) AS n FROM ${table} GROUP BY key_id, outcome, country, route`,
  );
  const counts: Record<string, number> = {};
  const add = (k: string, n: number) => (counts[k] = (counts[k] ?? 0) + n);
  for (const r of rows) {
    const n = Number(r.n);
    add(`${r.key_id}|outcome|${r.outcome}`, n);
    add(`${r.key_id}|country|${r.country}`, n);
    add(`${r.key_id}|route|${r.route}`, n);
    add(`${r.key_id}|all`, n);
  }
  return counts;
}

/** Total events counted by the minute rollup. */
export async function rollupTotal(ch: ClickHouse): Promise<number> {
  const rows = await ch.query<{ n: string }>('SELECT countMerge(requests) AS n FROM auth_rollup_1m');
  return Number(rows[0]?.n ?? 0);
}

export { poll } from '@keywatch/testkit/support';

/** Migrated database, a producer and a way to start workers on the test's own topics and database. */
export async function setupIngest(
  fixtures: { kafka: KafkaFixture; clickhouse: ClickHouseFixture; logger: Logger },
  options: { maxPartitions?: number } = {},
) {
  const { kafka, clickhouse, logger } = fixtures;
  await kafka.provision({ maxPartitions: options.maxPartitions ?? 3 });
  const ch = createClickHouse({ url: clickhouse.url, database: clickhouse.database, logger });
  await runMigrations(ch, {
    directory: path.join(repoRoot, 'infra/clickhouse/migrations'),
    database: clickhouse.database,
    logger,
  });
  const producer: EventProducer = await createProducer(kafka.kafka);
  const groupId = `ingest-${newEventId()}`;
  const workers: IngestWorker[] = [];

  async function startWorker(
    env: Record<string, string> = {},
    overrides: IngestWorkerOverrides = {},
  ): Promise<IngestWorker> {
    const config = parseConfig(ingestConfig, {
      KAFKA_BROKERS: kafka.brokers.join(','),
      CLICKHOUSE_URL: clickhouse.url,
      CLICKHOUSE_DATABASE: clickhouse.database,
      KEYWATCH_TOPIC_PREFIX: kafka.prefix,
      INGEST_GROUP_ID: groupId,
      INGEST_METRICS_PORT: '-1',
      INGEST_RETENTION_INTERVAL: '0',
      INGEST_RETRY_MAX_DELAY: '500ms',
      LOG_LEVEL: 'warn',
      ...env,
    });
    const worker = await startIngestWorker(config, logger, overrides);
    workers.push(worker);
    return worker;
  }

  async function produce(events: readonly AuthEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i += 2_000) {
      await producer.send(
        kafka.topics.authEvents,
        events.slice(i, i + 2_000).map((e) => ({ key: e.key_id, value: JSON.stringify(e) })),
      );
    }
  }

  return {
    ch,
    producer,
    groupId,
    startWorker,
    produce,
    async close() {
      // eslint-disable-next-line @typescript-eslint/await-thenable -- Closeable.close() may return a promise
      await Promise.allSettled(workers.map((w) => w.close()));
      await producer.close();
      await ch.close();
    },
  };
}
