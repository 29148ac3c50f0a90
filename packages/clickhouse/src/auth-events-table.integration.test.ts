import path from 'node:path';
import { describe, expect, repoRoot, test } from '@keywatch/testkit';
import { createClickHouse } from './client.js';
import { FEATURES, versionAtLeast } from './version.js';
import { runMigrations } from './migrations.js';
import { sql } from './sql.js';

// Yesterday (UTC): inside every retention, so current servers' TTL (migration 0007) keeps the rows.
const DAY = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
const NEXT_DAY = new Date(Date.parse(`${DAY}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

/** A row as the ingest worker writes it: the contract's nulls as '' except the rate-limit columns. */
function row(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    v: 1,
    event_id: '0193b2a4-7c1e-7d3a-9f00-000000000001',
    ts: `${DAY} 12:34:56`,
    ts_ms: 789,
    gateway_id: 'gw-1',
    request_id: 'req-1',
    tenant_id: 'tenant_dev_abc123',
    key_id: 'key_0123456789abcdefghij',
    key_type: 'secret',
    environment: 'dev',
    key_fingerprint: '0123456789abcdef',
    outcome: 'allowed',
    scope: 'subscriptions:read',
    method: 'GET',
    route: '/v1/subscriptions',
    status: 200,
    latency_ms: 12.5,
    ip: '203.0.113.7',
    user_agent: 'curl/8.0',
    origin: '',
    rate_limit_limit: 100,
    rate_limit_remaining: 99,
    rate_limit_window_s: 60,
    ...overrides,
  };
}

describe('auth_events table', () => {
  test('counts a redelivered event once', async ({ clickhouse, logger }) => {
    const ch = createClickHouse({ url: clickhouse.url, database: clickhouse.database, logger });
    try {
      await runMigrations(ch, {
        directory: path.join(repoRoot, 'infra/clickhouse/migrations'),
        database: clickhouse.database,
        logger,
      });
      const other = row({
        event_id: '0193b2a4-7c1e-7d3a-9f00-000000000002',
        outcome: 'unknown_key',
        status: 401,
        tenant_id: '',
        key_id: '',
        rate_limit_limit: null,
        rate_limit_remaining: null,
        rate_limit_window_s: null,
      });
      await ch.insert('auth_events', [row(), other]);
      // The redelivery arrives in a later batch, as after a consumer crash before its commit.
      await ch.insert('auth_events', [row()]);

      const [final] = await ch.query<{ rows: string; replayed: string }>(
        sql`SELECT count() AS rows, countIf(event_id = ${String(row().event_id)}) AS replayed FROM auth_events FINAL`,
      );
      expect(final).toEqual({ rows: '2', replayed: '1' });
      const [distinct] = await ch.query<{ events: string }>('SELECT uniqExact(event_id) AS events FROM auth_events');
      expect(distinct).toEqual({ events: '2' });

      await ch.command('OPTIMIZE TABLE auth_events FINAL');
      const [merged] = await ch.query<{ rows: string }>('SELECT count() AS rows FROM auth_events');
      expect(merged).toEqual({ rows: '2' });
    } finally {
      await ch.close();
    }
  });

  test('keeps every contract field, with the time in UTC and the ingest time filled in', async ({
    clickhouse,
    logger,
  }) => {
    const ch = createClickHouse({ url: clickhouse.url, database: clickhouse.database, logger });
    try {
      await runMigrations(ch, {
        directory: path.join(repoRoot, 'infra/clickhouse/migrations'),
        database: clickhouse.database,
        logger,
      });
      const before = Math.floor(Date.now() / 1000);
      await ch.insert('auth_events', [
        row(),
        row({
          event_id: 'e2',
          ts: `${DAY}T23:59:59.999Z`,
          ts_ms: 999,
          rate_limit_limit: null,
          rate_limit_remaining: null,
          rate_limit_window_s: null,
        }),
      ]);
      const rows = await ch.query<Record<string, unknown>>(
        'SELECT *, toUnixTimestamp(ingested_at) AS ingested, toYYYYMMDD(ts) AS day FROM auth_events ORDER BY event_id',
      );
      const day = Number(DAY.replaceAll('-', ''));
      expect(rows[0]).toEqual({ ...row(), ingested: expect.any(Number), day });
      expect(rows[1]).toMatchObject({
        event_id: 'e2',
        ts: `${DAY} 23:59:59`,
        ts_ms: 999,
        rate_limit_limit: null,
        day,
      });
      expect(Number(rows[0]?.ingested)).toBeGreaterThanOrEqual(before - 1);

      const window = await ch.query<{ n: string }>(
        sql`SELECT count() AS n FROM auth_events FINAL WHERE tenant_id = ${'tenant_dev_abc123'} AND ts >= ${new Date(`${DAY}T12:34:56Z`)} AND ts < ${new Date(`${NEXT_DAY}T00:00:00Z`)}`,
      );
      expect(window).toEqual([{ n: '2' }]);
    } finally {
      await ch.close();
    }
  });

  test('expire raw events by TTL on servers that have it; 18.16 keeps them for the retention job', async ({
    clickhouse,
    logger,
  }) => {
    const ch = createClickHouse({ url: clickhouse.url, database: clickhouse.database, logger });
    try {
      const results = await runMigrations(ch, {
        directory: path.join(repoRoot, 'infra/clickhouse/migrations'),
        database: clickhouse.database,
        logger,
      });
      const ttl = versionAtLeast(await ch.serverVersion(), FEATURES.ttl);
      expect(results.find((r) => r.name === 'retention_ttl')?.status).toBe(ttl ? 'applied' : 'skipped_version');
      // One row far past the 30-day retention, one inside it.
      await ch.insert('auth_events', [
        row({ event_id: 'old', ts: '2024-06-01 12:00:00' }),
        row({ event_id: 'recent' }),
      ]);
      await ch.command('OPTIMIZE TABLE auth_events FINAL');
      const left = await ch.query<{ event_id: string }>('SELECT event_id FROM auth_events ORDER BY event_id');
      // 18.16 has no TTL: the ingest worker's retention job drops the old day's partition instead
      // (services/ingest-worker/src/retention.integration.test.ts).
      expect(left.map((r) => r.event_id)).toEqual(ttl ? ['recent'] : ['old', 'recent']);
    } finally {
      await ch.close();
    }
  });
});
