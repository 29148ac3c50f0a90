import path from 'node:path';
import { createClickHouse, identifier, runMigrations, sql } from '@keywatch/clickhouse';
import { parseConfig } from '@keywatch/config';
import { exampleAuthEvent, topicNames, type AuthEvent } from '@keywatch/contracts';
import { createKafka, createProducer } from '@keywatch/kafka';
import type { Logger } from '@keywatch/logger';
import { ingestConfig } from './config.js';
import { createEnricher, geoipLite } from './enrich.js';
import { toRow } from './rows.js';
import { startIngestWorker } from './worker.js';

/** Options of {@link benchIngest}. */
export interface IngestBenchOptions {
  /** Events per run. Default 200 000. */
  events?: number;
  kafkaBrokers: string[];
  clickhouseUrl: string;
  /** Scratch database, created and dropped by the run. Default `kwbench_<time>`. */
  database?: string;
  /** The repository root (migrations live under it). */
  repoRoot: string;
  /** Partitions of the scratch topic. Default 6. */
  partitions?: number;
  /** Also measure ClickHouse's own Kafka table engine (needs the server to reach the brokers). Default true. */
  kafkaEngine?: boolean;
  logger: Logger;
}

/** One measured figure. */
export interface BenchFigure {
  name: string;
  events: number;
  seconds: number;
  eventsPerSecond: number;
  note?: string;
}

/** What {@link benchIngest} measured, in the same run on the same messages. */
export interface IngestBenchResult {
  figures: BenchFigure[];
  /** Worker rate as a share of the raw consumption baseline. */
  workerVsRawConsumption: number;
  /** Peak RSS of this process while the worker ran, MB. */
  workerRssMb: number;
}

const IPS = ['81.2.69.142', '8.8.8.8', '203.0.113.7', '2001:4860:4860::8888', '1.1.1.1', '185.60.216.35', '10.0.0.1'];

function events(n: number): AuthEvent[] {
  const now = Date.now();
  return Array.from({ length: n }, (_, i) =>
    exampleAuthEvent({ key_id: `key_bench${String(i % 500).padStart(16, '0')}`, tenant_id: `tenant_${i % 20}`, ip: IPS[i % IPS.length], ts: new Date(now - ((n - i) % 3_600_000)).toISOString() }),
  );
}

const figure = (name: string, count: number, seconds: number, note?: string): BenchFigure => ({ name, events: count, seconds: Math.round(seconds * 1000) / 1000, eventsPerSecond: Math.round(count / seconds), ...(note ? { note } : {}) });

/**
 * `keywatch bench ingest`: sustained events/s from Kafka into ClickHouse through the worker
 * (validation, enrichment, dedup, rollups), next to three baselines on the same messages: raw
 * KafkaJS consumption doing nothing, raw JSONEachRow inserts of the same rows into a table without
 * views, and ClickHouse's Kafka table engine feeding a MergeTree through a materialized view.
 */
export async function benchIngest(options: IngestBenchOptions): Promise<IngestBenchResult> {
  const n = options.events ?? 200_000;
  const database = options.database ?? `kwbench_${Date.now()}`;
  const prefix = `kwbench-${Date.now()}.`;
  const topics = topicNames(prefix);
  const log = options.logger;
  const kafka = createKafka({ brokers: options.kafkaBrokers, clientId: 'keywatch-bench', logger: log });
  const admin = kafka.admin();
  await admin.connect();
  const ch = createClickHouse({ url: options.clickhouseUrl, database, logger: log });
  const figures: BenchFigure[] = [];
  let rssPeak = 0;
  try {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: topics.authEvents, numPartitions: options.partitions ?? 6 }, { topic: topics.authEventsDlq, numPartitions: 1 }] });
    await runMigrations(ch, { directory: path.join(options.repoRoot, 'infra/clickhouse/migrations'), database, logger: log });
    const all = events(n);
    const producer = await createProducer(kafka);
    for (let i = 0; i < n; i += 5_000) await producer.send(topics.authEvents, all.slice(i, i + 5_000).map((e) => ({ key: e.key_id, value: JSON.stringify(e) })));
    await producer.close();

    // Baseline 1: raw consumption, no work.
    {
      const consumer = kafka.consumer({ groupId: `bench-raw-${Date.now()}`, maxBytesPerPartition: 1024 * 1024, maxWaitTimeInMs: 100 });
      await consumer.connect();
      await consumer.subscribe({ topics: [topics.authEvents], fromBeginning: true });
      let seen = 0;
      const started = performance.now();
      await new Promise<void>((resolve) => {
        void consumer.run({
          partitionsConsumedConcurrently: 6,
          eachBatch: async ({ batch }) => {
            seen += batch.messages.length;
            if (seen >= n) resolve();
          },
        });
      });
      figures.push(figure('raw KafkaJS consumption (no work)', n, (performance.now() - started) / 1000));
      await consumer.disconnect();
    }

    // The worker.
    {
      const config = parseConfig(ingestConfig, {
        KAFKA_BROKERS: options.kafkaBrokers.join(','),
        CLICKHOUSE_URL: options.clickhouseUrl,
        CLICKHOUSE_DATABASE: database,
        KEYWATCH_TOPIC_PREFIX: prefix,
        INGEST_GROUP_ID: `bench-worker-${Date.now()}`,
        INGEST_METRICS_PORT: '-1',
        INGEST_RETENTION_INTERVAL: '0',
        LOG_LEVEL: 'warn',
      });
      const started = performance.now();
      const worker = await startIngestWorker(config, log);
      for (;;) {
        rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
        const written = (await worker.metrics.rowsWritten.get()).values[0]?.value ?? 0;
        if (written >= n) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      figures.push(figure('ingest worker (validate, geoip, dedup, insert + 6 views)', n, (performance.now() - started) / 1000));
      await worker.close();
    }

    // Baseline 2: the same rows inserted straight into a table without views.
    {
      await ch.command(sql`CREATE TABLE ${identifier('raw_copy')} AS ${identifier('auth_events_ingest')} ENGINE = MergeTree PARTITION BY toYYYYMMDD(ts) ORDER BY (tenant_id, key_id, ts, event_id)`);
      const enricher = createEnricher(geoipLite, 50_000);
      const rows = all.map((e) => {
        const row = toRow(e);
        return { ...row, ...enricher.enrich(row.ip, row.user_agent) };
      });
      const started = performance.now();
      for (let i = 0; i < rows.length; i += 10_000) await ch.insert('raw_copy', rows.slice(i, i + 10_000));
      figures.push(figure('raw ClickHouse inserts (JSONEachRow, 10k rows, no views)', n, (performance.now() - started) / 1000));
    }

    // Baseline 3: ClickHouse's Kafka engine → materialized view → MergeTree (no validation, no enrichment, no DLQ, no dedup).
    if (options.kafkaEngine ?? true) {
      try {
        await ch.command(sql`CREATE TABLE kafka_target (event_id String, ts String, tenant_id Nullable(String), key_id Nullable(String), outcome String, status UInt16, latency_ms Float64, ip String, route String) ENGINE = MergeTree ORDER BY event_id`);
        await ch.command(
          `CREATE TABLE kafka_source (event_id String, ts String, tenant_id Nullable(String), key_id Nullable(String), outcome String, status UInt16, latency_ms Float64, ip String, route String) ENGINE = Kafka('${options.kafkaBrokers.join(',')}', '${topics.authEvents}', 'kwbench-engine-${Date.now()}', 'JSONEachRow')`,
        );
        const started = performance.now();
        await ch.command('CREATE MATERIALIZED VIEW kafka_mv TO kafka_target AS SELECT * FROM kafka_source');
        let count = 0;
        const deadline = Date.now() + 120_000;
        while (count < n && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 100));
          count = Number((await ch.query<{ n: string }>('SELECT count() AS n FROM kafka_target'))[0]?.n ?? 0);
        }
        figures.push(figure('ClickHouse Kafka engine → MV → MergeTree', count, (performance.now() - started) / 1000, count < n ? `only ${count} of ${n} within 120 s` : undefined));
        await ch.command('DROP TABLE IF EXISTS kafka_mv');
        await ch.command('DROP TABLE IF EXISTS kafka_source');
      } catch (error) {
        figures.push({ name: 'ClickHouse Kafka engine → MV → MergeTree', events: 0, seconds: 0, eventsPerSecond: 0, note: `failed: ${error instanceof Error ? error.message.slice(0, 200) : String(error)}` });
      }
    }
  } finally {
    await ch.command(sql`DROP DATABASE IF EXISTS ${identifier(database)}`).catch(() => undefined);
    await ch.close();
    const mine = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (mine.length > 0) await admin.deleteTopics({ topics: mine }).catch(() => undefined);
    await admin.disconnect();
  }
  const raw = figures.find((f) => f.name.startsWith('raw KafkaJS'))?.eventsPerSecond ?? 0;
  const worker = figures.find((f) => f.name.startsWith('ingest worker'))?.eventsPerSecond ?? 0;
  return { figures, workerVsRawConsumption: raw === 0 ? 0 : Math.round((worker / raw) * 100) / 100, workerRssMb: Math.round(rssPeak / 1e6) };
}
