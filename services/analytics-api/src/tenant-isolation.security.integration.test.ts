import { generateKey } from '@keywatch/contracts';
import { expect, test } from '@keywatch/testkit';
import { createTestKey, insertEvents, startTestApi } from './testing.js';

const TS = Date.parse('2026-11-20T10:00:00.000Z');
const RANGE = 'from=2026-11-20T00:00:00Z&to=2026-11-21T00:00:00Z';
const event = (tenant: string, key: string) => ({
  tenant_id: tenant,
  key_id: key,
  ts: TS,
  outcome: 'allowed',
  status: 200,
  route: '/v1/bundles',
  scope: 'bundles:read',
  latency_ms: 3,
  country: 'NL',
});

test('a tenant can never read another tenant: not its keys, not its totals, not by naming it', async ({
  clickhouse,
  redis,
  logger,
}) => {
  const ctx = await startTestApi({ clickhouse, redis, logger });
  try {
    const readerA = await createTestKey(ctx.store, 'tenant_a');
    const keyA = await createTestKey(ctx.store, 'tenant_a');
    const keyB = await createTestKey(ctx.store, 'tenant_b');
    // Tenant B's events, some even recorded under tenant A's key id (a forged or misattributed event).
    await insertEvents(ctx.ch, [
      event('tenant_a', keyA.id),
      event('tenant_b', keyB.id),
      event('tenant_b', keyB.id),
      event('tenant_b', keyA.id),
    ]);

    for (const path of ['usage', 'errors', 'geo', 'features']) {
      const other = await ctx.get<{ error: { code: string } }>(
        `/v1/analytics/keys/${keyB.id}/${path}?${RANGE}`,
        readerA.secret,
      );
      expect(other.status, path).toBe(404);
      expect(other.body.error.code).toBe('not_found');
      const named = await ctx.get(`/v1/analytics/keys/${keyA.id}/${path}?${RANGE}&tenant_id=tenant_b`, readerA.secret);
      expect(named.status, path).toBe(403);
    }
    // Its own key shows its own tenant's event only, not tenant B's event under the same key id.
    const own = await ctx.get<{ requests: number }>(`/v1/analytics/keys/${keyA.id}/errors?${RANGE}`, readerA.secret);
    expect(own.body.requests).toBe(1);

    const top = await ctx.get<{ tenant_id: string; keys: Array<{ key_id: string; requests: number }> }>(
      `/v1/analytics/keys?${RANGE}`,
      readerA.secret,
    );
    expect(top.body.tenant_id).toBe('tenant_a');
    expect(top.body.keys).toEqual([{ key_id: keyA.id, requests: 1, errors: 0, error_rate: 0, rate_limited: 0 }]);
    expect((await ctx.get(`/v1/analytics/keys?${RANGE}&tenant_id=tenant_b`, readerA.secret)).status).toBe(403);

    // Injection attempts in every parameter are refused as input, and never reach another tenant.
    for (const evil of ["tenant_b' OR '1'='1", "x') UNION ALL SELECT 1 --", 'tenant_a\\', '\u0000']) {
      const response = await ctx.get<{ error?: { code: string } }>(
        `/v1/analytics/keys?${RANGE}&tenant_id=${encodeURIComponent(evil)}`,
        readerA.secret,
      );
      expect([400, 403]).toContain(response.status);
      const byId = await ctx.get(
        `/v1/analytics/keys/${encodeURIComponent(`key_${evil}aaaaaaaaaaaaaaaaaaaa`)}/usage`,
        readerA.secret,
      );
      expect([400, 404]).toContain(byId.status);
    }
  } finally {
    await ctx.close();
  }
});

test('only an active secret key with analytics:read gets in; the root key must name a tenant', async ({
  clickhouse,
  redis,
  logger,
}) => {
  const rootKey = generateKey({ type: 'secret', environment: 'live' });
  const ctx = await startTestApi({ clickhouse, redis, logger }, { KEYWATCH_ROOT_KEY: rootKey });
  try {
    const key = await createTestKey(ctx.store, 'tenant_a');
    const noScope = await createTestKey(ctx.store, 'tenant_a', { scopes: ['subscriptions:read'] });
    const publishable = await createTestKey(ctx.store, 'tenant_a', { type: 'publishable' });
    const revoked = await createTestKey(ctx.store, 'tenant_a');
    await ctx.store.transition(revoked.id, 'revoke', 'root', 'test');
    const suspended = await createTestKey(ctx.store, 'tenant_a');
    await ctx.store.transition(suspended.id, 'suspend', 'root', 'test');
    const url = `/v1/analytics/keys/${key.id}/usage`;

    const cases: Array<[string | null, number, string]> = [
      [null, 401, 'missing_key'],
      ['not-a-key', 401, 'malformed_key'],
      [generateKey({ type: 'secret', environment: 'live' }), 401, 'unknown_key'],
      [revoked.secret, 401, 'revoked_key'],
      [suspended.secret, 401, 'inactive_key'],
      [noScope.secret, 403, 'insufficient_scope'],
      [publishable.secret, 403, 'insufficient_scope'],
    ];
    for (const [token, status, code] of cases) {
      const response = await ctx.get<{ error: { code: string } }>(url, token);
      expect(response.status, code).toBe(status);
      expect(response.body.error.code).toBe(code);
    }
    expect((await ctx.get(url, key.secret)).status).toBe(200);
    expect((await ctx.get('/v1/analytics/keys', rootKey)).status).toBe(400);
    expect((await ctx.get('/v1/analytics/keys?tenant_id=tenant_a', rootKey)).status).toBe(200);
    expect((await ctx.get(url, rootKey)).status).toBe(200);
    expect((await ctx.get(`${url}?tenant_id=tenant_b`, rootKey)).status).toBe(404);
  } finally {
    await ctx.close();
  }
});
