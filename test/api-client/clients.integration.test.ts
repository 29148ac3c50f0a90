import { createAnalyticsClient, createKeyServiceClient, KeywatchApiError } from '@keywatch/api-client';
import { createTestKey, insertAlerts, insertEvents, startTestApi } from '@keywatch/analytics-api/testing';
import { startTestKeyService } from '@keywatch/key-service/testing';
import { expect, test } from '@keywatch/testkit';

// The typed client against the real services: each call's answer has the declared shape, and an
// error answer becomes a KeywatchApiError with the contract's code and field.

test('the key service client manages a key through its lifecycle and reads the audit', async ({
  kafka,
  redis,
  logger,
}) => {
  const ks = await startTestKeyService({ kafka, redis, logger });
  try {
    const client = createKeyServiceClient({ baseUrl: ks.url, apiKey: ks.rootKey });
    const created = await client.createKey({
      tenant_id: 'tenant_client',
      type: 'secret',
      environment: 'dev',
      name: 'client test',
      scopes: ['subscriptions:read'],
    });
    expect(created.secret).toMatch(/^sk_dev_/);
    expect(created.key).toMatchObject({
      tenant_id: 'tenant_client',
      state: 'active',
      scopes: ['subscriptions:read'],
      last4: created.secret.slice(-4),
    });
    expect((await client.getKey(created.key.id)).key.id).toBe(created.key.id);
    expect((await client.listKeys({ tenant_id: 'tenant_client' })).keys.map((k) => k.id)).toEqual([created.key.id]);

    const rotated = await client.rotateKey(created.key.id, { grace_period_s: 0 });
    expect(rotated.previous.id).toBe(created.key.id);
    const revoked = await client.transitionKey(rotated.key.id, 'revoke', { reason: 'client test' });
    expect(revoked.key.state).toBe('revoked');
    const { entries } = await client.audit({ tenant_id: 'tenant_client' });
    expect(entries.map((e) => e.action)).toEqual(expect.arrayContaining(['created', 'rotated', 'revoked']));

    const refused = await client
      .createKey({ tenant_id: 'tenant_client', type: 'secret', environment: 'prod' as 'dev', name: 'x' })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(KeywatchApiError);
    expect(refused).toMatchObject({ status: 400, code: 'invalid_request', field: 'environment' });
    expect(String(refused)).not.toContain(ks.rootKey);
    await expect(client.getKey('key_00000000000000000000000000')).rejects.toMatchObject({
      status: 404,
      code: 'not_found',
    });
  } finally {
    await ks.close();
  }
});

test('the analytics client reads usage and top keys, and moves an alert through its lifecycle', async ({
  clickhouse,
  redis,
  logger,
}) => {
  const ctx = await startTestApi({ clickhouse, redis, logger });
  try {
    const reader = await createTestKey(ctx.store, 'tenant_a', {
      scopes: ['analytics:read', 'audit:read', 'keys:manage'],
    });
    const key = await createTestKey(ctx.store, 'tenant_a', { scopes: ['subscriptions:read'] });
    const t0 = Date.parse('2026-11-20T10:00:00.000Z');
    await insertEvents(
      ctx.ch,
      [0, 1, 2].map((i) => ({
        tenant_id: 'tenant_a',
        key_id: key.id,
        ts: t0 + i * 1000,
        outcome: 'allowed',
        status: i === 2 ? 502 : 200,
        route: '/v1/subscriptions',
        scope: 'subscriptions:read',
        latency_ms: 10,
        country: 'GB',
      })),
    );
    await insertAlerts(ctx.ch, [
      { alert_id: 'alr_client', tenant_id: 'tenant_a', key_id: key.id, severity: 'high', detected_at: t0 },
    ]);
    const client = createAnalyticsClient({ baseUrl: ctx.api.url, apiKey: reader.secret });
    const range = { from: '2026-11-20T10:00:00Z', to: '2026-11-20T11:00:00Z' };

    const usage = await client.usage(key.id, { ...range, interval: 'hour' });
    expect(usage.points).toEqual([expect.objectContaining({ ts: '2026-11-20T10:00:00.000Z', requests: 3, errors: 1 })]);
    expect((await client.topKeys(range)).keys).toEqual([
      expect.objectContaining({ key_id: key.id, requests: 3, errors: 1 }),
    ]);
    expect((await client.geo(key.id, range)).countries.map((c) => c.country)).toEqual(['GB']);

    expect((await client.listAlerts({ status: 'open' })).alerts.map((a) => a.alert_id)).toEqual(['alr_client']);
    const acked = await client.transitionAlert('alr_client', 'ack', { note: 'looking' });
    expect(acked.alert).toMatchObject({ alert_id: 'alr_client', status: 'acknowledged' });

    // Request search, page by page; dismiss with a suppression; rules and trusted networks.
    const first = await client.searchRequests({ ...range, key_id: key.id, limit: 2 });
    expect(first.requests.map((r) => [r.status, r.country])).toEqual([
      [502, 'GB'],
      [200, 'GB'],
    ]);
    const rest = await client.searchRequests({ ...range, key_id: key.id, limit: 2, cursor: first.next_cursor ?? '' });
    expect([rest.requests.length, rest.next_cursor]).toEqual([1, null]);
    const dismissed = await client.dismissAlert('alr_client', {
      reason: 'expected',
      suppress: { scope: 'key', for_s: 600 },
    });
    expect(dismissed.alert.status).toBe('dismissed');
    expect((await client.listSuppressions()).suppressions.map((r) => r.id)).toEqual([dismissed.suppression?.id]);
    await client.deleteSuppression(dismissed.suppression?.id ?? '');
    expect((await client.listSuppressions()).suppressions).toEqual([]);
    expect((await client.setTrustedNetworks({ cidrs: ['10.0.0.0/8'] })).cidrs).toEqual(['10.0.0.0/8']);
    expect((await client.getTrustedNetworks()).cidrs).toEqual(['10.0.0.0/8']);
    expect((await client.setThreatList({ cidrs: ['45.155.205.0/24'] })).cidrs).toEqual(['45.155.205.0/24']);

    await expect(client.usage(key.id, { ...range, interval: 'week' as 'day' })).rejects.toMatchObject({
      status: 400,
      code: 'invalid_request',
      field: 'interval',
    });
  } finally {
    await ctx.close();
  }
});
