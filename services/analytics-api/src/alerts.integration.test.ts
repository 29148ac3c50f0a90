import { createAlertStatusStore } from '@keywatch/alerts';
import { generateKey } from '@keywatch/contracts';
import { expect, test } from '@keywatch/testkit';
import type { AlertView } from './alerts.js';
import { createTestKey, insertAlerts, startTestApi } from './testing.js';

const T0 = Date.parse('2026-11-20T10:00:00.000Z');
const MIN = 60_000;

test('the feed lists the latest version of each alert, newest first, with filters', async ({
  clickhouse,
  redis,
  logger,
}) => {
  const ctx = await startTestApi({ clickhouse, redis, logger });
  try {
    const auditor = await createTestKey(ctx.store, 'tenant_a', { scopes: ['audit:read', 'keys:manage'] });
    const key = await createTestKey(ctx.store, 'tenant_a', { scopes: ['subscriptions:read'] });
    await insertAlerts(ctx.ch, [
      // alr_1: raised at T0, then repeated twice: the severity rose and the count grew.
      {
        alert_id: 'alr_1',
        tenant_id: 'tenant_a',
        key_id: key.id,
        severity: 'medium',
        detected_at: T0,
        count: 1,
        evidence: { failures: 20 },
      },
      {
        alert_id: 'alr_1',
        tenant_id: 'tenant_a',
        key_id: key.id,
        severity: 'high',
        detected_at: T0,
        updated_at: T0 + 5 * MIN,
        count: 3,
        evidence: { failures: 60 },
      },
      {
        alert_id: 'alr_2',
        tenant_id: 'tenant_a',
        ip: '203.0.113.9',
        type: 'credential_stuffing',
        severity: 'high',
        detected_at: T0 + 10 * MIN,
      },
      {
        alert_id: 'alr_3',
        tenant_id: 'tenant_a',
        key_id: key.id,
        type: 'secret_key_client_side',
        severity: 'critical',
        detected_at: T0 + 20 * MIN,
      },
    ]);

    const all = await ctx.get<{ alerts: AlertView[] }>('/v1/alerts', auditor.secret);
    expect(all.status).toBe(200);
    expect(all.body.alerts.map((a) => a.alert_id)).toEqual(['alr_3', 'alr_2', 'alr_1']);
    expect(all.body.alerts[2]).toEqual({
      v: 1,
      alert_id: 'alr_1',
      type: 'failed_auth_spike',
      severity: 'high',
      tenant_id: 'tenant_a',
      key_id: key.id,
      ip: null,
      window_start: '2026-11-20T09:59:00.000Z',
      window_end: '2026-11-20T10:00:00.000Z',
      detected_at: '2026-11-20T10:00:00.000Z',
      summary: 'test alert alr_1',
      evidence: { failures: 60 },
      dedup_key: 'test|alr_1',
      action: 'none',
      count: 3,
      updated_at: '2026-11-20T10:05:00.000Z',
      status: 'open',
      status_actor: null,
      status_updated_at: null,
    });

    const ids = async (query: string) =>
      (await ctx.get<{ alerts: AlertView[] }>(`/v1/alerts?${query}`, auditor.secret)).body.alerts.map(
        (a) => a.alert_id,
      );
    expect(await ids('severity=high')).toEqual(['alr_2', 'alr_1']);
    expect(await ids('type=credential_stuffing')).toEqual(['alr_2']);
    expect(await ids(`key_id=${key.id}`)).toEqual(['alr_3', 'alr_1']);
    expect(await ids('from=2026-11-20T10:05:00Z&to=2026-11-20T10:20:00Z')).toEqual(['alr_2']);
    expect(await ids('limit=2')).toEqual(['alr_3', 'alr_2']);
    expect(await ids('status=open')).toEqual(['alr_3', 'alr_2', 'alr_1']);
    expect(await ids('status=resolved')).toEqual([]);

    const one = await ctx.get<{ alert: AlertView }>('/v1/alerts/alr_2', auditor.secret);
    expect(one.body.alert).toMatchObject({ alert_id: 'alr_2', ip: '203.0.113.9', key_id: null, status: 'open' });
    expect((await ctx.get<{ error: { code: string } }>('/v1/alerts/alr_nope', auditor.secret)).body.error.code).toBe(
      'not_found',
    );

    const openapi = await ctx.get<{ paths: Record<string, Record<string, unknown>> }>('/openapi.json', null);
    expect(Object.keys(openapi.body.paths)).toEqual(
      expect.arrayContaining(['/v1/alerts', '/v1/alerts/{id}', '/v1/alerts/{id}/ack', '/v1/alerts/{id}/resolve']),
    );
    expect(Object.keys(openapi.body.paths['/v1/alerts/{id}/ack'] ?? {})).toEqual(['post']);
  } finally {
    await ctx.close();
  }
});

test('bad filters and bodies get a 400 naming the field', async ({ clickhouse, redis, logger }) => {
  const ctx = await startTestApi({ clickhouse, redis, logger });
  try {
    const auditor = await createTestKey(ctx.store, 'tenant_a', { scopes: ['audit:read', 'keys:manage'] });
    await insertAlerts(ctx.ch, [{ alert_id: 'alr_1', tenant_id: 'tenant_a', detected_at: T0 }]);
    const cases: Array<[string, string]> = [
      ['/v1/alerts?status=closed', 'status'],
      ['/v1/alerts?type=meteor_strike', 'type'],
      ['/v1/alerts?severity=urgent', 'severity'],
      ['/v1/alerts?key_id=nope', 'key_id'],
      ['/v1/alerts?from=yesterday', 'from'],
      ['/v1/alerts?to=soon', 'to'],
      ['/v1/alerts?from=2026-11-21T00:00:00Z&to=2026-11-20T00:00:00Z', 'from'],
      ['/v1/alerts?limit=0', 'limit'],
      ['/v1/alerts?limit=5000', 'limit'],
      ['/v1/alerts?sort=asc', 'sort'],
      ["/v1/alerts/alr_1'--", 'id'],
    ];
    for (const [url, field] of cases) {
      const response = await ctx.get<{ error: { code: string; field?: string } }>(url, auditor.secret);
      expect(response.status, url).toBe(400);
      expect(response.body.error.field, url).toBe(field);
    }
    const badNote = await ctx.post<{ error: { field?: string } }>('/v1/alerts/alr_1/ack', auditor.secret, { note: 42 });
    expect(badNote.status).toBe(400);
    expect(badNote.body.error.field).toBe('note');
    const extra = await ctx.post<{ error: { field?: string } }>('/v1/alerts/alr_1/resolve', auditor.secret, {
      note: 'x',
      status: 'open',
    });
    expect(extra.status).toBe(400);
    expect(extra.body.error.field).toBe('status');
  } finally {
    await ctx.close();
  }
});

test('ack and resolve write the hot copy, a status version and the audit; resolve is idempotent, ack after resolve is 409', async ({
  clickhouse,
  redis,
  logger,
}) => {
  const rootKey = generateKey({ type: 'secret', environment: 'live' });
  const ctx = await startTestApi({ clickhouse, redis, logger }, { KEYWATCH_ROOT_KEY: rootKey });
  try {
    const auditor = await createTestKey(ctx.store, 'tenant_a', { scopes: ['audit:read', 'keys:manage'] });
    const key = await createTestKey(ctx.store, 'tenant_a', { scopes: ['subscriptions:read'] });
    await insertAlerts(ctx.ch, [
      { alert_id: 'alr_1', tenant_id: 'tenant_a', key_id: key.id, detected_at: T0 },
      { alert_id: 'alr_2', tenant_id: 'tenant_a', key_id: key.id, detected_at: T0 + MIN },
      {
        alert_id: 'alr_nobody',
        tenant_id: null,
        ip: '198.51.100.7',
        type: 'credential_stuffing',
        detected_at: T0 + 2 * MIN,
      },
    ]);
    const statuses = createAlertStatusStore({ redis: redis.client });

    const acked = await ctx.post<{ alert: AlertView }>('/v1/alerts/alr_1/ack', auditor.secret, {
      note: 'looking into it',
    });
    expect(acked.status).toBe(200);
    expect(acked.body.alert).toMatchObject({
      alert_id: 'alr_1',
      status: 'acknowledged',
      status_actor: auditor.id,
      count: 1,
    });
    expect(acked.body.alert.status_updated_at).toEqual(expect.any(String));
    expect(await statuses.get('alr_1')).toMatchObject({
      alertId: 'alr_1',
      tenantId: 'tenant_a',
      status: 'acknowledged',
      actor: auditor.id,
      note: 'looking into it',
    });
    // Acknowledging again changes nothing.
    const again = await ctx.post<{ alert: AlertView }>('/v1/alerts/alr_1/ack', auditor.secret);
    expect(again.body.alert.status_updated_at).toBe(acked.body.alert.status_updated_at);

    const resolved = await ctx.post<{ alert: AlertView }>('/v1/alerts/alr_1/resolve', auditor.secret, {});
    expect(resolved.status).toBe(200);
    expect(resolved.body.alert.status).toBe('resolved');
    const twice = await ctx.post<{ alert: AlertView }>('/v1/alerts/alr_1/resolve', auditor.secret);
    expect(twice.status).toBe(200);
    expect(twice.body.alert).toEqual(resolved.body.alert);
    const late = await ctx.post<{ error: { code: string } }>('/v1/alerts/alr_1/ack', auditor.secret);
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('invalid_transition');
    expect((await statuses.get('alr_1'))?.status).toBe('resolved');

    // The status versions in ClickHouse (the feed's source) and the feed's status filter.
    const rows = await ctx.ch.query<{ status: string; actor: string; note: string }>(
      `SELECT status, actor, note FROM ${clickhouse.database}.alert_status WHERE alert_id = 'alr_1' ORDER BY version`,
    );
    expect(rows).toEqual([
      { status: 'acknowledged', actor: auditor.id, note: 'looking into it' },
      { status: 'resolved', actor: auditor.id, note: '' },
    ]);
    const ids = async (query: string) =>
      (await ctx.get<{ alerts: AlertView[] }>(`/v1/alerts?${query}`, auditor.secret)).body.alerts.map(
        (a) => a.alert_id,
      );
    expect(await ids('status=resolved')).toEqual(['alr_1']);
    expect(await ids('status=open')).toEqual(['alr_2']);

    // Who did it, in the tenant's audit stream (what the key service's GET /v1/audit reads).
    const audit = (await ctx.store.audit('tenant_a', { keyId: key.id })).filter((e) => e.action.startsWith('alert_'));
    expect(audit.map((e) => [e.action, e.actor, e.reason])).toEqual([
      ['alert_acknowledged', `key:${auditor.id}`, 'looking into it'],
      ['alert_resolved', `key:${auditor.id}`, null],
    ]);
    expect(audit[1]?.details).toMatchObject({ alert_id: 'alr_1', from: 'acknowledged', to: 'resolved' });

    // An alert without a tenant: only the root key sees it; its actor is `root`.
    expect((await ctx.post('/v1/alerts/alr_nobody/ack', auditor.secret)).status).toBe(404);
    const rootAck = await ctx.post<{ alert: AlertView }>('/v1/alerts/alr_nobody/ack', rootKey);
    expect(rootAck.body.alert).toMatchObject({ tenant_id: null, status: 'acknowledged', status_actor: 'root' });
    expect((await ctx.get<{ alerts: AlertView[] }>('/v1/alerts', rootKey)).body.alerts.map((a) => a.alert_id)).toEqual([
      'alr_nobody',
      'alr_2',
      'alr_1',
    ]);
  } finally {
    await ctx.close();
  }
});

test('repeating a call whose ClickHouse write failed completes it: status version and audit entry', async ({
  clickhouse,
  redis,
  logger,
}) => {
  const ctx = await startTestApi({ clickhouse, redis, logger });
  try {
    const auditor = await createTestKey(ctx.store, 'tenant_a', { scopes: ['audit:read', 'keys:manage'] });
    await insertAlerts(ctx.ch, [{ alert_id: 'alr_1', tenant_id: 'tenant_a', detected_at: T0 }]);
    // What an interrupted ack leaves behind: the hot copy written, nothing in ClickHouse.
    const at = Date.parse('2026-11-20T11:00:00.000Z');
    await createAlertStatusStore({ redis: redis.client }).set({
      alertId: 'alr_1',
      tenantId: 'tenant_a',
      status: 'acknowledged',
      actor: auditor.id,
      note: 'first try',
      updatedAt: at,
    });
    const stale = await ctx.get<{ alerts: AlertView[] }>('/v1/alerts?status=acknowledged', auditor.secret);
    expect(stale.body.alerts).toEqual([]);

    const retried = await ctx.post<{ alert: AlertView }>('/v1/alerts/alr_1/ack', auditor.secret, { note: 'first try' });
    expect(retried.status).toBe(200);
    expect(retried.body.alert).toMatchObject({
      status: 'acknowledged',
      status_actor: auditor.id,
      status_updated_at: '2026-11-20T11:00:00.000Z',
    });
    const rows = await ctx.ch.query<{ status: string; updated_at: string }>(
      `SELECT status, toString(updated_at) AS updated_at FROM alert_status WHERE alert_id = 'alr_1'`,
    );
    expect(rows).toEqual([{ status: 'acknowledged', updated_at: '2026-11-20 11:00:00' }]);
    expect(
      (await ctx.get<{ alerts: AlertView[] }>('/v1/alerts?status=acknowledged', auditor.secret)).body.alerts.map(
        (a) => a.alert_id,
      ),
    ).toEqual(['alr_1']);
    const audit = (await ctx.store.audit('tenant_a')).filter((e) => e.action.startsWith('alert_'));
    expect(audit.map((e) => [e.action, e.actor, e.reason, e.ts])).toEqual([
      ['alert_acknowledged', `key:${auditor.id}`, 'first try', '2026-11-20T11:00:00.000Z'],
    ]);

    // Once complete, a further repeat writes nothing more.
    await ctx.post('/v1/alerts/alr_1/ack', auditor.secret);
    expect(await ctx.ch.query(`SELECT status FROM alert_status WHERE alert_id = 'alr_1'`)).toHaveLength(1);
  } finally {
    await ctx.close();
  }
});
