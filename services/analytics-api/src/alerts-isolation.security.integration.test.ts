import { createAlertStatusStore } from '@keywatch/alerts';
import { expect, test } from '@keywatch/testkit';
import type { AlertView } from './alerts.js';
import { createTestKey, insertAlerts, startTestApi } from './testing.js';

const T0 = Date.parse('2026-11-20T10:00:00.000Z');

test("a tenant can neither list, read, acknowledge nor resolve another tenant's alerts", async ({
  clickhouse,
  redis,
  logger,
}) => {
  const ctx = await startTestApi({ clickhouse, redis, logger });
  try {
    const auditorA = await createTestKey(ctx.store, 'tenant_a', { scopes: ['audit:read', 'keys:manage'] });
    const auditorB = await createTestKey(ctx.store, 'tenant_b', { scopes: ['audit:read'] });
    const keyB = await createTestKey(ctx.store, 'tenant_b', { scopes: ['subscriptions:read'] });
    await insertAlerts(ctx.ch, [
      { alert_id: 'alr_a', tenant_id: 'tenant_a', detected_at: T0 },
      { alert_id: 'alr_b', tenant_id: 'tenant_b', key_id: keyB.id, detected_at: T0 + 1000 },
      {
        alert_id: 'alr_unknown',
        tenant_id: null,
        ip: '198.51.100.7',
        type: 'credential_stuffing',
        detected_at: T0 + 2000,
      },
    ]);

    const listA = await ctx.get<{ alerts: AlertView[] }>('/v1/alerts', auditorA.secret);
    expect(listA.body.alerts.map((a) => a.alert_id)).toEqual(['alr_a']);
    // Filters never widen the tenant: not by key, not by naming the other tenant.
    expect(
      (await ctx.get<{ alerts: AlertView[] }>(`/v1/alerts?key_id=${keyB.id}`, auditorA.secret)).body.alerts,
    ).toEqual([]);
    const named = await ctx.get<{ error: { code: string; field?: string } }>(
      '/v1/alerts?tenant_id=tenant_b',
      auditorA.secret,
    );
    expect(named.status).toBe(403);
    expect(named.body.error.field).toBe('tenant_id');

    // Another tenant's alert is indistinguishable from a missing one, for reads and for changes.
    for (const [method, path] of [
      ['GET', '/v1/alerts/alr_b'],
      ['POST', '/v1/alerts/alr_b/ack'],
      ['POST', '/v1/alerts/alr_b/resolve'],
      ['POST', '/v1/alerts/alr_unknown/resolve'],
    ] as const) {
      const response =
        method === 'GET'
          ? await ctx.get<{ error: { code: string } }>(path, auditorA.secret)
          : await ctx.post<{ error: { code: string } }>(path, auditorA.secret, { note: 'not mine' });
      expect(response.status, path).toBe(404);
      expect(response.body.error.code, path).toBe('not_found');
    }
    // Nothing changed for tenant B: no hot copy, no status row, still open.
    expect(await createAlertStatusStore({ redis: redis.client }).get('alr_b')).toBeNull();
    const [rows] = await ctx.ch.query<{ n: string }>(`SELECT count() AS n FROM alert_status`);
    expect(Number(rows?.n)).toBe(0);
    const own = await ctx.get<{ alert: AlertView }>('/v1/alerts/alr_b', auditorB.secret);
    expect(own.body.alert.status).toBe('open');

    // Injection attempts are refused as input and reach nobody's alerts.
    for (const evil of ["alr_b' OR '1'='1", "x') UNION ALL SELECT 1 --", 'alr_b\\']) {
      const response = await ctx.get(`/v1/alerts/${encodeURIComponent(evil)}`, auditorA.secret);
      expect(response.status).toBe(400);
      const byTenant = await ctx.get(`/v1/alerts?tenant_id=${encodeURIComponent(evil)}`, auditorA.secret);
      expect(byTenant.status).toBe(403);
    }
  } finally {
    await ctx.close();
  }
});

test('alerts need a secret key with audit:read; analytics:read alone is not enough', async ({
  clickhouse,
  redis,
  logger,
}) => {
  const ctx = await startTestApi({ clickhouse, redis, logger });
  try {
    await insertAlerts(ctx.ch, [{ alert_id: 'alr_a', tenant_id: 'tenant_a', detected_at: T0 }]);
    const analyst = await createTestKey(ctx.store, 'tenant_a', { scopes: ['analytics:read'] });
    const publishable = await createTestKey(ctx.store, 'tenant_a', { type: 'publishable' });
    const suspended = await createTestKey(ctx.store, 'tenant_a', { scopes: ['audit:read'] });
    await ctx.store.transition(suspended.id, 'suspend', 'root', 'test');
    for (const [token, status, code] of [
      [null, 401, 'missing_key'],
      [suspended.secret, 401, 'inactive_key'],
      [analyst.secret, 403, 'insufficient_scope'],
      [publishable.secret, 403, 'insufficient_scope'],
    ] as const) {
      const list = await ctx.get<{ error: { code: string } }>('/v1/alerts', token);
      expect(list.status, code).toBe(status);
      expect(list.body.error.code).toBe(code);
      const ack = await ctx.post<{ error: { code: string } }>('/v1/alerts/alr_a/ack', token);
      expect(ack.status, code).toBe(status);
    }
    // audit:read reads the feed but changes nothing: every alert-changing call needs keys:manage.
    const reader = await createTestKey(ctx.store, 'tenant_a', { scopes: ['audit:read'] });
    expect((await ctx.get('/v1/alerts', reader.secret)).status).toBe(200);
    for (const [path, body] of [
      ['/v1/alerts/alr_a/ack', {}],
      ['/v1/alerts/alr_a/resolve', {}],
      ['/v1/alerts/alr_a/dismiss', { reason: 'expected' }],
      ['/v1/alerts/alr_a/confirm', {}],
      ['/v1/suppressions', { type: 'usage_spike', expires_at: '2099-01-01T00:00:00Z', reason: 'x' }],
    ] as const) {
      const refused = await ctx.post<{ error: { code: string } }>(path, reader.secret, body);
      expect(refused.status, path).toBe(403);
      expect(refused.body.error.code, path).toBe('insufficient_scope');
    }
    expect(await createAlertStatusStore({ redis: redis.client }).get('alr_a')).toBeNull();
  } finally {
    await ctx.close();
  }
});
