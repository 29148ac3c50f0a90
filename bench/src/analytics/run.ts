import path from 'node:path';
import { createClickHouse, identifier, runMigrations, sql } from '@keywatch/clickhouse';
import type { Logger } from '@keywatch/logger';
import { searchRequests, seriesRange, usageSeries, type RequestsQuery } from '@keywatch/analytics-api';

/** Options of {@link benchAnalytics}. */
export interface AnalyticsBenchOptions {
  clickhouseUrl: string;
  repoRoot: string;
  logger: Logger;
  /** Events generated over the last 24 h. Default 10 000 000. */
  events?: number;
  /** Keys they spread over (one tenant). Default 1 000. */
  keys?: number;
  /** Timed queries. Default 50. */
  queries?: number;
}

export interface AnalyticsBenchResult {
  events: number;
  loadSeconds: number;
  queries: number;
  /** Per-key 24 h minute series (1 440 points) from the minute rollup, end to end through the client. */
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  rollupRows: number;
  /** Request search: one filtered page of 100 (newest first) over the raw events, end to end through the client. */
  search: { queries: number; p50Ms: number; p95Ms: number; maxMs: number; byFilter: Record<string, number> };
}

/** The filtered pages timed, in turn: one per kind of filter the console and the CLI offer. */
const SEARCHES: Array<[string, (i: number, keys: number) => RequestsQuery]> = [
  ['key', (i, keys) => ({ key_id: `key_bench_${(i * 7919) % keys}` })],
  ['outcome', () => ({ outcome: 'unknown_key' })],
  ['cidr', (i) => ({ ip: `10.0.${i % 256}.0/24` })],
  ['country', () => ({ country: 'DE' })],
  ['key+outcome', (i, keys) => ({ key_id: `key_bench_${((i * 104_729) % keys) | 1}`, outcome: 'rate_limited' })],
  ['status+route', () => ({ status: '429', route: '/v1/payments' })],
  ['range', () => ({ outcome: 'allowed', to: new Date(Date.now() - 12 * 3_600_000).toISOString() })],
];

/**
 * `keywatch bench analytics`: loads `events` synthetic events of one day into a scratch database
 * (server-side `INSERT … SELECT`, so the rollup views run as for ingested events) and times the
 * analytics API's per-key 24 h minute series.
 */
export async function benchAnalytics(options: AnalyticsBenchOptions): Promise<AnalyticsBenchResult> {
  const n = options.events ?? 10_000_000;
  const keys = options.keys ?? 1_000;
  const database = `kwbench_analytics_${Date.now()}`;
  const ch = createClickHouse({
    url: options.clickhouseUrl,
    database,
    logger: options.logger,
    requestTimeoutMs: 600_000,
  });
  try {
    await runMigrations(ch, {
      directory: path.join(options.repoRoot, 'infra/clickhouse/migrations'),
      database,
      logger: options.logger,
    });
    const end = Math.floor(Date.now() / 60_000) * 60_000;
    const start = new Date(end - 86_400_000);
    const loadStarted = performance.now();
    const chunk = 1_000_000;
    for (let offset = 0; offset < n; offset += chunk) {
      const size = Math.min(chunk, n - offset);
      await ch.command(sql`
        INSERT INTO auth_events_ingest (v, event_id, ts, tenant_id, key_id, key_type, environment, outcome, scope, method, route, status, latency_ms, ip, country, city)
        SELECT 1, concat('bench-', toString(number)), ${start} + intDiv(number * 86400, ${n}), 'tenant_bench',
               concat('key_bench_', toString(number % ${keys})), 'secret', 'live',
               ['allowed','allowed','allowed','allowed','unknown_key','rate_limited'][number % 6 + 1],
               ['subscriptions:read','customers:read','payments:write'][number % 3 + 1], 'GET',
               ['/v1/subscriptions','/v1/customers/:id','/v1/payments'][number % 3 + 1],
               [200,200,200,200,401,429][number % 6 + 1], number % 250, IPv4NumToString(toUInt32(167772160 + (number * 7) % 65536)),
               ['US','GB','DE','FR'][number % 4 + 1], ['','London','Berlin','Paris'][number % 4 + 1]
        FROM numbers(${offset}, ${size})`);
    }
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    const rollupRows = Number(
      (await ch.query<{ n: string }>(sql`SELECT count() AS n FROM ${identifier('auth_rollup_1m')}`))[0]?.n ?? 0,
    );
    const range = seriesRange({ from: start.toISOString(), to: new Date(end).toISOString() }, 'minute', end);
    const timings: number[] = [];
    const count = options.queries ?? 50;
    for (let i = 0; i < count; i++) {
      const started = performance.now();
      const points = await usageSeries(ch, 'tenant_bench', `key_bench_${(i * 7919) % keys}`, range);
      timings.push(performance.now() - started);
      if (points.length !== 1440) throw new Error(`expected 1440 points, got ${points.length}`);
    }
    const at = (list: number[], q: number) => {
      const sorted = [...list].sort((a, b) => a - b);
      return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! * 10) / 10;
    };
    const searchTimings: number[] = [];
    const byFilter: Record<string, number[]> = {};
    for (let i = 0; i < count * 2; i++) {
      const [name, query] = SEARCHES[i % SEARCHES.length]!;
      const started = performance.now();
      const page = await searchRequests(ch, 'tenant_bench', { ...query(i, keys), limit: '100' });
      const ms = performance.now() - started;
      searchTimings.push(ms);
      (byFilter[name] ??= []).push(ms);
      if (page.requests.length === 0) throw new Error(`request search (${name}) found nothing`);
    }
    return {
      events: n,
      loadSeconds: Math.round(loadSeconds * 10) / 10,
      queries: count,
      p50Ms: at(timings, 0.5),
      p95Ms: at(timings, 0.95),
      maxMs: at(timings, 1),
      rollupRows,
      search: {
        queries: searchTimings.length,
        p50Ms: at(searchTimings, 0.5),
        p95Ms: at(searchTimings, 0.95),
        maxMs: at(searchTimings, 1),
        byFilter: Object.fromEntries(Object.entries(byFilter).map(([name, list]) => [name, at(list, 0.95)])),
      },
    };
  } finally {
    await ch.command(sql`DROP DATABASE IF EXISTS ${identifier(database)}`).catch(() => undefined);
    await ch.close();
  }
}
