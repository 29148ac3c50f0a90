import path from 'node:path';
import { createClickHouse, identifier, runMigrations, sql } from '@keywatch/clickhouse';
import type { Logger } from '@keywatch/logger';
import { seriesRange, usageSeries } from '@keywatch/analytics-api';

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
}

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
               [200,200,200,200,401,429][number % 6 + 1], number % 250, '8.8.8.8',
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
    timings.sort((a, b) => a - b);
    const at = (q: number) =>
      Math.round(timings[Math.min(timings.length - 1, Math.floor(q * timings.length))]! * 10) / 10;
    return {
      events: n,
      loadSeconds: Math.round(loadSeconds * 10) / 10,
      queries: count,
      p50Ms: at(0.5),
      p95Ms: at(0.95),
      maxMs: at(1),
      rollupRows,
    };
  } finally {
    await ch.command(sql`DROP DATABASE IF EXISTS ${identifier(database)}`).catch(() => undefined);
    await ch.close();
  }
}
