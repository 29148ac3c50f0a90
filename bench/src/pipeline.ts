import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EngineConfig } from '@keywatch/config';
import { createLogger } from '@keywatch/logger';
import type { SuiteResult } from './keys.js';
import { figure, type Figure } from './report.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const logger = () => createLogger({ name: 'bench', level: 'warn' });

/**
 * `keywatch bench ingest` (issue 5): the ingest worker's events/s next to raw KafkaJS consumption,
 * raw ClickHouse inserts and ClickHouse's Kafka engine, on the same messages; the worker's RSS.
 */
export async function benchIngestSuite(options: { config: EngineConfig; quick: boolean }): Promise<SuiteResult> {
  // Loaded on demand: the worker brings geoip-lite's data into memory.
  const { benchIngest } = await import('@keywatch/ingest-worker/bench');
  const result = await benchIngest({
    kafkaBrokers: options.config.KAFKA_BROKERS,
    clickhouseUrl: options.config.CLICKHOUSE_URL,
    repoRoot,
    logger: logger(),
    events: options.quick ? 5_000 : 200_000,
    kafkaEngine: !options.quick,
  });
  const byName = new Map(result.figures.map((f) => [f.name, f]));
  const raw = [...byName.values()].find((f) => /raw.*consum/i.test(f.name));
  const figures: Figure[] = result.figures.map((f) =>
    /worker/i.test(f.name)
      ? figure(f.name, f.eventsPerSecond, 'events/s', { ...(raw ? { baseline: { name: raw.name, value: raw.eventsPerSecond } } : {}), target: { atLeast: 50_000 } })
      : figure(f.name, f.eventsPerSecond, 'events/s'),
  );
  figures.push(figure('ingest worker vs raw consumption', result.workerVsRawConsumption, '×', { target: { atLeast: 0.6 } }));
  figures.push(figure('ingest worker peak RSS', result.workerRssMb, 'MB', { target: { below: 400 } }));
  return { figures, notes: { ingest: result } };
}

/** `keywatch bench analytics` (issue 5): a per-key 24 h minute series over N events, p95 (target < 300 ms on 10 M). */
export async function benchAnalyticsSuite(options: { config: EngineConfig; quick: boolean }): Promise<SuiteResult> {
  const { benchAnalytics } = await import('@keywatch/analytics-api/bench');
  const events = options.quick ? 20_000 : 10_000_000;
  const result = await benchAnalytics({ clickhouseUrl: options.config.CLICKHOUSE_URL, repoRoot, logger: logger(), events });
  return {
    figures: [
      figure(`analytics 24 h minute series p50 (${events.toLocaleString('en-US')} events)`, result.p50Ms, 'ms'),
      figure(`analytics 24 h minute series p95 (${events.toLocaleString('en-US')} events)`, result.p95Ms, 'ms', { target: { below: 300 } }),
    ],
    notes: { analytics: result },
  };
}
