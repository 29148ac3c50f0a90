import { expect, test } from '@keywatch/testkit';
import { createTestKey, insertEvents, startTestApi, type TestEvent } from './testing.js';

const T0 = Date.parse('2026-11-20T10:00:00.000Z');
const MIN = 60_000;

/** A known day of traffic for two keys of one tenant. */
function traffic(tenant: string, keyA: string, keyB: string): TestEvent[] {
  const events: TestEvent[] = [];
  // key A: minute 0 → 10 allowed (200), 2 upstream 502, 3 rate_limited (429); minute 1 → 5 unknown_key (401); next hour → 4 allowed.
  for (let i = 0; i < 10; i++)
    events.push({
      tenant_id: tenant,
      key_id: keyA,
      ts: T0 + i * 1000,
      outcome: 'allowed',
      status: 200,
      route: '/v1/subscriptions',
      scope: 'subscriptions:read',
      latency_ms: 10 + i,
      country: 'GB',
      city: 'London',
    });
  for (let i = 0; i < 2; i++)
    events.push({
      tenant_id: tenant,
      key_id: keyA,
      ts: T0 + 20_000 + i,
      outcome: 'allowed',
      status: 502,
      route: '/v1/payments',
      scope: 'payments:write',
      method: 'POST',
      latency_ms: 100,
      country: 'US',
    });
  for (let i = 0; i < 3; i++)
    events.push({
      tenant_id: tenant,
      key_id: keyA,
      ts: T0 + 30_000 + i,
      outcome: 'rate_limited',
      status: 429,
      route: '/v1/subscriptions',
      scope: 'subscriptions:read',
      latency_ms: 1,
      country: 'GB',
      city: 'London',
    });
  for (let i = 0; i < 5; i++)
    events.push({
      tenant_id: tenant,
      key_id: keyA,
      ts: T0 + MIN + i,
      outcome: 'unknown_key',
      status: 401,
      route: '/v1/customers/:id',
      scope: 'customers:read',
      latency_ms: 2,
      country: '',
    });
  for (let i = 0; i < 4; i++)
    events.push({
      tenant_id: tenant,
      key_id: keyA,
      ts: T0 + 60 * MIN + i,
      outcome: 'allowed',
      status: 200,
      route: '/v1/subscriptions',
      scope: 'subscriptions:read',
      latency_ms: 20,
      country: 'DE',
      city: 'Berlin',
    });
  // key B: 7 allowed, all 200, an hour later.
  for (let i = 0; i < 7; i++)
    events.push({
      tenant_id: tenant,
      key_id: keyB,
      ts: T0 + 90 * MIN + i,
      outcome: 'allowed',
      status: 200,
      route: '/v1/bundles',
      scope: 'bundles:read',
      latency_ms: 5,
      country: 'FR',
    });
  return events;
}

test('usage, errors, geo, features and top keys answer exactly what was ingested', async ({
  clickhouse,
  redis,
  logger,
}) => {
  const ctx = await startTestApi({ clickhouse, redis, logger });
  try {
    const reader = await createTestKey(ctx.store, 'tenant_a');
    const keyA = await createTestKey(ctx.store, 'tenant_a', { scopes: ['subscriptions:read'] });
    const keyB = await createTestKey(ctx.store, 'tenant_a', { scopes: ['bundles:read'] });
    await insertEvents(ctx.ch, traffic('tenant_a', keyA.id, keyB.id));
    const range = `from=2026-11-20T10:00:00Z&to=2026-11-20T12:00:00Z`;

    const minute = await ctx.get<{ points: Array<Record<string, unknown>>; interval: string }>(
      `/v1/analytics/keys/${keyA.id}/usage?${range}&interval=minute`,
      reader.secret,
    );
    expect(minute.status).toBe(200);
    expect(minute.body.points).toHaveLength(120);
    expect(minute.body.points[0]).toMatchObject({
      ts: '2026-11-20T10:00:00.000Z',
      requests: 15,
      errors: 5,
      error_rate: 0.3333,
      rate_limited: 3,
    });
    expect(minute.body.points[0]?.p50_latency_ms).toBeTypeOf('number');
    expect(minute.body.points[1]).toMatchObject({
      ts: '2026-11-20T10:01:00.000Z',
      requests: 5,
      errors: 5,
      error_rate: 1,
      rate_limited: 0,
    });
    expect(minute.body.points[2]).toMatchObject({ requests: 0, errors: 0, p50_latency_ms: null });
    expect(minute.body.points[60]).toMatchObject({ ts: '2026-11-20T11:00:00.000Z', requests: 4, errors: 0 });

    const hour = await ctx.get<{ points: Array<Record<string, unknown>> }>(
      `/v1/analytics/keys/${keyA.id}/usage?${range}&interval=hour`,
      reader.secret,
    );
    expect(hour.body.points.map((p) => p.requests)).toEqual([20, 4]);
    const day = await ctx.get<{ points: Array<Record<string, unknown>> }>(
      `/v1/analytics/keys/${keyA.id}/usage?from=2026-11-19T00:00:00Z&to=2026-11-22T00:00:00Z&interval=day`,
      reader.secret,
    );
    expect(day.body.points.map((p) => p.requests)).toEqual([0, 24, 0]);

    const errors = await ctx.get(`/v1/analytics/keys/${keyA.id}/errors?${range}`, reader.secret);
    expect(errors.body).toMatchObject({ requests: 24, errors: 10, rate_limited: 3 });
    expect(errors.body.by_outcome).toEqual([
      { outcome: 'allowed', requests: 16, share: 0.6667 },
      { outcome: 'unknown_key', requests: 5, share: 0.2083 },
      { outcome: 'rate_limited', requests: 3, share: 0.125 },
    ]);
    expect(errors.body.by_status_class).toEqual([
      { class: '2xx', requests: 14 },
      { class: '4xx', requests: 8 },
      { class: '5xx', requests: 2 },
    ]);

    // A range that is not hour-aligned mixes minute and hour rollups and still counts exactly.
    const partial = await ctx.get(
      `/v1/analytics/keys/${keyA.id}/errors?from=2026-11-20T10:00:30Z&to=2026-11-20T11:00:01Z`,
      reader.secret,
    );
    expect(partial.body).toMatchObject({
      from: '2026-11-20T10:00:00.000Z',
      to: '2026-11-20T11:01:00.000Z',
      requests: 24,
    });
    const narrow = await ctx.get(
      `/v1/analytics/keys/${keyA.id}/errors?from=2026-11-20T10:01:00Z&to=2026-11-20T11:00:00Z`,
      reader.secret,
    );
    expect(narrow.body).toMatchObject({ requests: 5, errors: 5 });

    const geo = await ctx.get<{ countries: unknown[] }>(`/v1/analytics/keys/${keyA.id}/geo?${range}`, reader.secret);
    expect(geo.body.countries).toEqual([
      { country: 'GB', requests: 13, errors: 3, cities: [{ region: null, city: 'London', requests: 13, errors: 3 }] },
      { country: null, requests: 5, errors: 5, cities: [{ region: null, city: null, requests: 5, errors: 5 }] },
      { country: 'DE', requests: 4, errors: 0, cities: [{ region: null, city: 'Berlin', requests: 4, errors: 0 }] },
      { country: 'US', requests: 2, errors: 2, cities: [{ region: null, city: null, requests: 2, errors: 2 }] },
    ]);

    const features = await ctx.get<{ by_scope: unknown[]; by_route: unknown[] }>(
      `/v1/analytics/keys/${keyA.id}/features?${range}`,
      reader.secret,
    );
    expect(features.body.by_scope).toEqual([
      { scope: 'subscriptions:read', requests: 17, errors: 3, error_rate: 0.1765 },
      { scope: 'customers:read', requests: 5, errors: 5, error_rate: 1 },
      { scope: 'payments:write', requests: 2, errors: 2, error_rate: 1 },
    ]);
    expect(features.body.by_route).toContainEqual({
      scope: 'payments:write',
      method: 'POST',
      route: '/v1/payments',
      requests: 2,
      errors: 2,
      error_rate: 1,
    });

    const top = await ctx.get<{ keys: Array<{ key_id: string; requests: number }> }>(
      `/v1/analytics/keys?${range}&sort=requests&limit=5`,
      reader.secret,
    );
    expect(top.body.keys).toEqual([
      { key_id: keyA.id, requests: 24, errors: 10, error_rate: 0.4167, rate_limited: 3 },
      { key_id: keyB.id, requests: 7, errors: 0, error_rate: 0, rate_limited: 0 },
    ]);
    const byRate = await ctx.get<{ keys: Array<{ key_id: string }> }>(
      `/v1/analytics/keys?${range}&sort=error_rate&limit=1`,
      reader.secret,
    );
    expect(byRate.body.keys.map((k) => k.key_id)).toEqual([keyA.id]);

    const openapi = await ctx.get<{ paths: Record<string, unknown> }>('/openapi.json', null);
    expect(Object.keys(openapi.body.paths)).toEqual(
      expect.arrayContaining(['/v1/analytics/keys/{id}/usage', '/v1/analytics/keys/{id}/geo', '/v1/analytics/keys']),
    );
  } finally {
    await ctx.close();
  }
});

test('bad parameters get a 400 naming the field, never a 500', async ({ clickhouse, redis, logger }) => {
  const ctx = await startTestApi({ clickhouse, redis, logger });
  try {
    const reader = await createTestKey(ctx.store, 'tenant_a');
    const key = await createTestKey(ctx.store, 'tenant_a');
    const cases: Array<[string, string]> = [
      [`/v1/analytics/keys/${key.id}/usage?from=yesterday`, 'from'],
      [`/v1/analytics/keys/${key.id}/usage?interval=week`, 'interval'],
      [
        `/v1/analytics/keys/${key.id}/usage?from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z&interval=minute`,
        'interval',
      ],
      [`/v1/analytics/keys/${key.id}/usage?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z`, 'from'],
      [`/v1/analytics/keys/${key.id}/errors?to=2200-01-01T00:00:00Z`, 'to'],
      [`/v1/analytics/keys/${key.id}/geo?bogus=1`, 'bogus'],
      [`/v1/analytics/keys?limit=1000`, 'limit'],
      [`/v1/analytics/keys?limit=-1`, 'limit'],
      [`/v1/analytics/keys?sort=name`, 'sort'],
      [`/v1/analytics/keys/not-a-key/usage`, 'id'],
      [`/v1/analytics/keys/${key.id}/usage?from=2026-01-01T00:00:00Z&from=2026-01-02T00:00:00Z`, 'from'],
    ];
    for (const [url, field] of cases) {
      const response = await ctx.get<{ error: { code: string; message: string; field?: string } }>(url, reader.secret);
      expect(response.status, url).toBe(400);
      expect(response.body.error.field, url).toBe(field);
      expect(response.body.error.message, url).not.toMatch(/at .*\.ts|Error:/);
    }
    const missing = await ctx.get<{ error: { code: string } }>('/v1/analytics/nothing', reader.secret);
    expect(missing.status).toBe(404);
  } finally {
    await ctx.close();
  }
});
