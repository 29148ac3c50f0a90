import path from 'node:path';
import { describe, expect, repoRoot, test } from '@keywatch/testkit';
import { createClickHouse } from './client.js';
import { runMigrations } from './migrations.js';
import { sql } from './sql.js';

/** A row as the ingest worker writes it: the contract's nulls as '' except the rate-limit columns. */
function row(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    v: 1,
    event_id: '0193b2a4-7c1e-7d3a-9f00-000000000001',
    ts: '2024-06-01 12:34:56',
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
          ts: '2024-06-01T23:59:59.999Z',
          ts_ms: 999,
          rate_limit_limit: null,
          rate_limit_remaining: null,
          rate_limit_window_s: null,
        }),
      ]);
      const rows = await ch.query<Record<string, unknown>>(
        'SELECT *, toUnixTimestamp(ingested_at) AS ingested, toYYYYMMDD(ts) AS day FROM auth_events ORDER BY event_id',
      );
      expect(rows[0]).toEqual({ ...row(), ingested: expect.any(Number), day: 20240601 });
      expect(rows[1]).toMatchObject({
        event_id: 'e2',
        ts: '2024-06-01 23:59:59',
        ts_ms: 999,
        rate_limit_limit: null,
        day: 20240601,
      });
      expect(Number(rows[0]?.ingested)).toBeGreaterThanOrEqual(before - 1);

      const window = await ch.query<{ n: string }>(
        sql`SELECT count() AS n FROM auth_events FINAL WHERE tenant_id = ${'tenant_dev_abc123'} AND ts >= ${new Date('2024-06-01T12:34:56Z')} AND ts < ${new Date('2024-06-02T00:00:00Z')}`,
      );
      expect(window).toEqual([{ n: '2' }]);
    } finally {
      await ch.close();
    }
  });
});
