import { parseKey, type KeyLifecycleEvent } from '@keywatch/contracts';
import { collectMessages, describe, expect, test } from '@keywatch/testkit';
import { startTestKeyService } from './testing.js';

interface KeyBody {
  id: string;
  tenant_id: string;
  name: string;
  type: string;
  environment: string;
  state: string;
  scopes: string[];
  prefix: string;
  last4: string;
  expires_at: string | null;
  rotated_from: string | null;
  rotated_to: string | null;
  allowed_ips: string[];
  allowed_origins: string[];
  rate_limit: { limit: number; window_s: number } | null;
  last_used_at: string | null;
}

const TENANT = 'tenant_dev_abc123';

describe('key service admin API', () => {
  test('creates secret and publishable keys with the documented defaults, showing the secret once', async ({
    kafka,
    redis,
    logger,
  }) => {
    const ks = await startTestKeyService({ kafka, redis, logger });
    try {
      const created = await ks.call<{ key: KeyBody; secret: string }>('POST', '/v1/keys', ks.rootKey, {
        tenant_id: TENANT,
        type: 'secret',
        environment: 'dev',
        name: 'backend',
      });
      expect(created.status).toBe(201);
      const parsed = parseKey(created.body.secret);
      expect(parsed.ok && parsed.type === 'secret' && parsed.environment === 'dev').toBe(true);
      expect(created.body.key).toMatchObject({
        tenant_id: TENANT,
        type: 'secret',
        environment: 'dev',
        state: 'active',
        last4: created.body.secret.slice(-4),
      });
      expect(created.body.key.scopes.sort()).toEqual([
        'analytics:read',
        'bundles:read',
        'campaigns:write',
        'customers:read',
        'customers:write',
        'payments:write',
        'subscriptions:read',
        'subscriptions:write',
      ]);

      const shown = await ks.call<{ key: KeyBody }>('GET', `/v1/keys/${created.body.key.id}`, ks.rootKey);
      expect(shown.status).toBe(200);
      expect(JSON.stringify(shown.body)).not.toContain(created.body.secret);
      expect(shown.body.key.id).toBe(created.body.key.id);

      const publishable = await ks.call<{ key: KeyBody; secret: string }>('POST', '/v1/keys', ks.rootKey, {
        tenant_id: TENANT,
        type: 'publishable',
        environment: 'live',
        name: 'web',
      });
      expect(publishable.status).toBe(201);
      expect(publishable.body.secret.startsWith('pk_live_')).toBe(true);
      expect(publishable.body.key.scopes).toEqual(['bundles:read']);

      const admin = await ks.call<{ key: KeyBody }>('POST', '/v1/keys', ks.rootKey, {
        tenant_id: TENANT,
        type: 'secret',
        environment: 'live',
        name: 'ops',
        scopes: ['keys:manage', 'audit:read'],
      });
      expect(admin.body.key.scopes).toEqual(['keys:manage', 'audit:read']);

      const listed = await ks.call<{ keys: KeyBody[] }>(
        'GET',
        `/v1/keys?tenant_id=${TENANT}&environment=live`,
        ks.rootKey,
      );
      expect(listed.body.keys.map((k) => k.name).sort()).toEqual(['ops', 'web']);
      const openapi = await ks.call<{ openapi: string; paths: Record<string, unknown> }>('GET', '/openapi.json', null);
      expect(openapi.body.openapi).toBe('3.1.0');
      expect(Object.keys(openapi.body.paths)).toEqual(
        expect.arrayContaining(['/v1/keys', '/v1/keys/{id}', '/v1/keys/{id}/rotate', '/v1/audit']),
      );
    } finally {
      await ks.close();
    }
  });

  test('refuses bad input with a 400 naming the field, never a 500', async ({ kafka, redis, logger }) => {
    const ks = await startTestKeyService({ kafka, redis, logger });
    try {
      const base = { tenant_id: TENANT, type: 'secret', environment: 'dev', name: 'x' };
      const cases: Array<[unknown, string]> = [
        [{ ...base, colour: 'red' }, 'colour'],
        [{ ...base, scopes: ['subscriptions:read', 'root:everything'] }, 'scopes.1'],
        [{ ...base, type: 'publishable', scopes: ['customers:read'] }, 'scopes'],
        [{ ...base, allowed_ips: ['10.0.0.0/33'] }, 'allowed_ips.0'],
        [{ ...base, allowed_ips: ['not-an-ip'] }, 'allowed_ips.0'],
        [{ ...base, allowed_origins: ['https://app.example.com/path'] }, 'allowed_origins.0'],
        [{ ...base, rate_limit: { limit: 0, window_s: 60 } }, 'rate_limit.limit'],
        [{ ...base, expires_at: 'tomorrow' }, 'expires_at'],
        [{ ...base, expires_at: '2001-01-01T00:00:00Z' }, 'expires_at'],
        [{ ...base, environment: 'prod' }, 'environment'],
        [{ type: 'secret', environment: 'dev', name: 'x' }, 'tenant_id'],
        [{ ...base, name: '' }, 'name'],
      ];
      for (const [body, field] of cases) {
        const response = await ks.call<{ error: { code: string; message: string; field?: string } }>(
          'POST',
          '/v1/keys',
          ks.rootKey,
          body,
        );
        expect(response.status, JSON.stringify(body)).toBe(400);
        expect(response.body.error.field, JSON.stringify(body)).toBe(field);
        expect(response.body.error.message.length).toBeGreaterThan(0);
      }
      const broken = await ks.call<{ error: { code: string } }>('POST', '/v1/keys', ks.rootKey, '{"type": "secret",');
      expect(broken.status).toBe(400);
      expect(broken.body.error.code).toBe('invalid_json');
      const notFound = await ks.call('GET', '/v1/keys/key_doesnotexist0000000000', ks.rootKey);
      expect(notFound.status).toBe(404);
      const badId = await ks.call<{ error: { field?: string } }>('GET', '/v1/keys/nope', ks.rootKey);
      expect(badId.status).toBe(400);
      expect(badId.body.error.field).toBe('id');
      const noRoute = await ks.call('GET', '/v1/nothing', ks.rootKey);
      expect(noRoute.status).toBe(404);
    } finally {
      await ks.close();
    }
  });

  test('walks every state transition, refusing the ones the lifecycle forbids, and announces each change', async ({
    kafka,
    redis,
    logger,
  }) => {
    const ks = await startTestKeyService({ kafka, redis, logger });
    try {
      const { id } = await ks.createKey({ tenant_id: TENANT, type: 'secret', environment: 'dev', name: 'cycle' });
      const post = (action: string, body: unknown = {}) =>
        ks.call<{ key: KeyBody; error?: { code: string } }>('POST', `/v1/keys/${id}/${action}`, ks.rootKey, body);

      expect((await post('reactivate')).status).toBe(409); // active → active is not a transition
      expect((await post('deactivate', { reason: 'leaked in a screenshot' })).body.key.state).toBe('deactivated');
      expect((await post('deactivate')).status).toBe(409);
      expect((await post('reactivate')).body.key.state).toBe('active');
      const patched = await ks.call<{ key: KeyBody }>('PATCH', `/v1/keys/${id}`, ks.rootKey, {
        name: 'renamed',
        allowed_ips: ['203.0.113.0/24', '2001:db8::/32'],
        rate_limit: { limit: 50, window_s: 10 },
      });
      expect(patched.status).toBe(200);
      expect(patched.body.key).toMatchObject({
        allowed_ips: ['203.0.113.0/24', '2001:db8::/32'],
        rate_limit: { limit: 50, window_s: 10 },
      });
      expect((await ks.call('PATCH', `/v1/keys/${id}`, ks.rootKey, {})).status).toBe(400);
      expect((await post('revoke', { reason: 'done' })).body.key.state).toBe('revoked');
      const again = await post('reactivate');
      expect(again.status).toBe(409);
      expect((await post('revoke')).status).toBe(409);
      expect((await ks.call('PATCH', `/v1/keys/${id}`, ks.rootKey, { name: 'zombie' })).status).toBe(409);

      const events = await collectMessages<KeyLifecycleEvent>(
        kafka.kafka,
        kafka.topics.keyLifecycle,
        (m) => m.filter((e) => e.value?.key_id === id).length >= 5,
      );
      const types = events.filter((e) => e.value?.key_id === id).map((e) => e.value?.type);
      expect(types).toEqual(['created', 'deactivated', 'reactivated', 'updated', 'revoked']);
      expect(events.filter((e) => e.value?.key_id === id).every((e) => e.key === id)).toBe(true);

      const audit = await ks.call<{
        entries: Array<{ action: string; actor: string; reason: string | null; key_id: string | null }>;
      }>('GET', `/v1/audit?tenant_id=${TENANT}&key_id=${id}`, ks.rootKey);
      expect(audit.status).toBe(200);
      expect(audit.body.entries.map((e) => e.action)).toEqual([
        'created',
        'deactivated',
        'reactivated',
        'updated',
        'revoked',
      ]);
      expect(audit.body.entries.every((e) => e.actor === 'root')).toBe(true);
      expect(audit.body.entries[1]?.reason).toBe('leaked in a screenshot');
    } finally {
      await ks.close();
    }
  });

  test('rotation returns a new secret once; the old key is rotating until its grace ends, then expired', async ({
    kafka,
    redis,
    logger,
  }) => {
    const ks = await startTestKeyService({ kafka, redis, logger });
    try {
      const old = await ks.createKey({
        tenant_id: TENANT,
        type: 'secret',
        environment: 'live',
        name: 'rotate-me',
        scopes: ['subscriptions:read'],
      });
      const rotated = await ks.call<{ key: KeyBody; secret: string; previous: { id: string; expires_at: string } }>(
        'POST',
        `/v1/keys/${old.id}/rotate`,
        ks.rootKey,
        {},
      );
      expect(rotated.status).toBe(201);
      expect(rotated.body.secret).not.toBe(old.secret);
      expect(rotated.body.key).toMatchObject({
        state: 'active',
        rotated_from: old.id,
        scopes: ['subscriptions:read'],
        environment: 'live',
      });
      const grace = Date.parse(rotated.body.previous.expires_at) - Date.now();
      expect(grace).toBeGreaterThan(86_400_000 - 60_000);
      expect(grace).toBeLessThanOrEqual(86_400_000);
      const previous = await ks.call<{ key: KeyBody }>('GET', `/v1/keys/${old.id}`, ks.rootKey);
      expect(previous.body.key).toMatchObject({ state: 'rotating', rotated_to: rotated.body.key.id });
      expect((await ks.call('POST', `/v1/keys/${old.id}/rotate`, ks.rootKey, {})).status).toBe(409);

      const next = await ks.call<{ key: KeyBody; previous: { id: string } }>(
        'POST',
        `/v1/keys/${rotated.body.key.id}/rotate`,
        ks.rootKey,
        { grace_period_s: 0 },
      );
      expect(next.status).toBe(201);
      const now = await ks.call<{ key: KeyBody }>('GET', `/v1/keys/${rotated.body.key.id}`, ks.rootKey);
      expect(now.body.key.state).toBe('expired');
      expect((await ks.call('POST', `/v1/keys/${old.id}/rotate`, ks.rootKey, { grace_period_s: -1 })).status).toBe(400);
    } finally {
      await ks.close();
    }
  });

  test('honours expires_at: the key stops authenticating and is announced as expired', async ({
    kafka,
    redis,
    logger,
  }) => {
    const ks = await startTestKeyService({ kafka, redis, logger });
    try {
      const expiresAt = new Date(Date.now() + 1500).toISOString();
      const admin = await ks.createKey({
        tenant_id: TENANT,
        type: 'secret',
        environment: 'dev',
        name: 'short-lived',
        scopes: ['keys:manage'],
        expires_at: expiresAt,
      });
      expect((await ks.call('GET', '/v1/keys', admin.secret)).status).toBe(200);
      const events = await collectMessages<KeyLifecycleEvent>(
        kafka.kafka,
        kafka.topics.keyLifecycle,
        (m) => m.some((e) => e.value?.key_id === admin.id && e.value.type === 'expired'),
        10_000,
      );
      expect(events.some((e) => e.value?.key_id === admin.id && e.value.type === 'expired')).toBe(true);
      const refused = await ks.call<{ error: { code: string } }>('GET', '/v1/keys', admin.secret);
      expect(refused.status).toBe(401);
      expect(refused.body.error.code).toBe('expired_key');
    } finally {
      await ks.close();
    }
  });
});
