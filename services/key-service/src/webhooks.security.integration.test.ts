import { describe, expect, test } from '@keywatch/testkit';
import { startTestKeyService } from './testing.js';
import { PLATFORM_AUDIT_TENANT } from './webhooks.js';

const TENANT = 'tenant_dev_platform_sec';
const SECRETS_KEY = 'test-secrets-key-0123456789abcdef0123456789';

interface WebhookBody {
  id: string;
  tenant_id: string | null;
  all_tenants?: boolean;
}

describe('/v1/webhooks platform destinations', () => {
  test('only the root key creates, sees and manages them; a tenant key gets 404 for every call on one', async ({
    kafka,
    redis,
    logger,
  }) => {
    const ks = await startTestKeyService(
      { kafka, redis, logger },
      { KEYWATCH_SECRETS_KEY: SECRETS_KEY, KEYWATCH_WEBHOOK_ALLOW_PRIVATE: 'true' },
    );
    try {
      const tenantKey = await ks.createKey({
        tenant_id: TENANT,
        type: 'secret',
        environment: 'live',
        name: 'hooks',
        scopes: ['webhooks:manage'],
      });
      const mine = await ks.call<{ webhook: WebhookBody }>('POST', '/v1/webhooks', tenantKey.secret, {
        url: 'http://127.0.0.1:9/mine',
        kind: 'json',
      });
      expect(mine.status).toBe(201);
      expect(Object.keys(mine.body.webhook)).not.toContain('all_tenants');

      const platform = await ks.call<{ webhook: WebhookBody; secret: string }>('POST', '/v1/webhooks', ks.rootKey, {
        scope: 'platform',
        url: 'http://127.0.0.1:9/platform',
        kind: 'slack',
        min_severity: 'high',
      });
      expect(platform.status).toBe(201);
      expect(platform.body.webhook).toMatchObject({
        tenant_id: null,
        all_tenants: true,
        kind: 'slack',
        min_severity: 'high',
      });
      const narrow = await ks.call<{ webhook: WebhookBody }>('POST', '/v1/webhooks', ks.rootKey, {
        scope: 'platform',
        all_tenants: false,
        url: 'http://127.0.0.1:9/narrow',
        kind: 'json',
      });
      expect(narrow.body.webhook).toMatchObject({ tenant_id: null, all_tenants: false });
      const id = platform.body.webhook.id;

      // A tenant key cannot create one…
      const refused = await ks.call<{ error: { code: string; field: string } }>(
        'POST',
        '/v1/webhooks',
        tenantKey.secret,
        { scope: 'platform', url: 'http://127.0.0.1:9/x', kind: 'json' },
      );
      expect(refused.status).toBe(403);
      expect(refused.body.error).toMatchObject({ code: 'platform_forbidden', field: 'scope' });
      // …nor see one…
      const listed = await ks.call<{ webhooks: WebhookBody[] }>('GET', '/v1/webhooks', tenantKey.secret);
      expect(listed.body.webhooks.map((w) => w.id)).toEqual([mine.body.webhook.id]);
      expect((await ks.call('GET', '/v1/webhooks?scope=platform', tenantKey.secret)).status).toBe(403);
      // …nor manage one: it does not exist for it.
      expect((await ks.call('GET', `/v1/webhooks/${id}/deliveries`, tenantKey.secret)).status).toBe(404);
      expect((await ks.call('POST', `/v1/webhooks/${id}/rotate-secret`, tenantKey.secret, {})).status).toBe(404);
      expect(
        (await ks.call('POST', `/v1/webhooks/${id}/deliveries/dlv_${'0'.repeat(32)}/replay`, tenantKey.secret)).status,
      ).toBe(404);
      expect((await ks.call('DELETE', `/v1/webhooks/${id}`, tenantKey.secret)).status).toBe(404);

      // The root key sees everything, or the platform's alone, or the tenants' alone.
      const all = await ks.call<{ webhooks: WebhookBody[] }>('GET', '/v1/webhooks', ks.rootKey);
      expect(all.body.webhooks.map((w) => w.id)).toEqual([mine.body.webhook.id, id, narrow.body.webhook.id]);
      const platformOnly = await ks.call<{ webhooks: WebhookBody[] }>('GET', '/v1/webhooks?scope=platform', ks.rootKey);
      expect(platformOnly.body.webhooks.map((w) => w.id)).toEqual([id, narrow.body.webhook.id]);
      const tenantsOnly = await ks.call<{ webhooks: WebhookBody[] }>('GET', '/v1/webhooks?scope=tenant', ks.rootKey);
      expect(tenantsOnly.body.webhooks.map((w) => w.id)).toEqual([mine.body.webhook.id]);
      expect(
        (
          await ks.call<{ webhooks: WebhookBody[] }>('GET', `/v1/webhooks?tenant_id=${TENANT}`, ks.rootKey)
        ).body.webhooks.map((w) => w.id),
      ).toEqual([mine.body.webhook.id]);

      // Still not visible to the tenant after the root key rotated its secret; the root key deletes it.
      const rotated = await ks.call<{ secret: string }>('POST', `/v1/webhooks/${id}/rotate-secret`, ks.rootKey, {
        grace_period_s: 0,
      });
      expect(rotated.status).toBe(201);
      expect((await ks.call('GET', `/v1/webhooks/${id}/deliveries`, ks.rootKey)).status).toBe(200);
      expect((await ks.call('DELETE', `/v1/webhooks/${id}`, ks.rootKey)).status).toBe(204);
      expect(
        (
          await ks.call<{ webhooks: WebhookBody[] }>('GET', '/v1/webhooks?scope=platform', ks.rootKey)
        ).body.webhooks.map((w) => w.id),
      ).toEqual([narrow.body.webhook.id]);

      // Audited in the platform's own log (root's GET /v1/audit), never in a tenant's.
      const rootAudit = await ks.call<{
        entries: Array<{ tenant_id: string; action: string; actor: string; details: Record<string, unknown> }>;
      }>('GET', '/v1/audit', ks.rootKey);
      const platformEntries = rootAudit.body.entries.filter((e) => e.details.webhook_id === id);
      expect(platformEntries.map((e) => [e.tenant_id, e.action, e.actor])).toEqual([
        [PLATFORM_AUDIT_TENANT, 'webhook_created', 'root'],
        [PLATFORM_AUDIT_TENANT, 'webhook_secret_rotated', 'root'],
        [PLATFORM_AUDIT_TENANT, 'webhook_deleted', 'root'],
      ]);
      expect(platformEntries[0]?.details).toMatchObject({ url_origin: 'http://127.0.0.1:9', all_tenants: true });
      const auditor = await ks.createKey({
        tenant_id: TENANT,
        type: 'secret',
        environment: 'live',
        name: 'audit',
        scopes: ['audit:read'],
      });
      const tenantAudit = await ks.call<{ entries: Array<{ details: Record<string, unknown> }> }>(
        'GET',
        '/v1/audit',
        auditor.secret,
      );
      expect(tenantAudit.status).toBe(200);
      expect(
        tenantAudit.body.entries.some(
          (e) => e.details.webhook_id === id || e.details.webhook_id === narrow.body.webhook.id,
        ),
      ).toBe(false);
    } finally {
      await ks.close();
    }
  });

  test('names the field of an inconsistent request', async ({ kafka, redis, logger }) => {
    const ks = await startTestKeyService(
      { kafka, redis, logger },
      { KEYWATCH_SECRETS_KEY: SECRETS_KEY, KEYWATCH_WEBHOOK_ALLOW_PRIVATE: 'true' },
    );
    try {
      const tenantKey = await ks.createKey({
        tenant_id: TENANT,
        type: 'secret',
        environment: 'live',
        name: 'hooks',
        scopes: ['webhooks:manage'],
      });
      for (const [token, body, status, field] of [
        // A platform destination has no tenant; a forgotten tenant_id is not silently a platform destination.
        [
          ks.rootKey,
          { scope: 'platform', tenant_id: TENANT, url: 'http://127.0.0.1:9/', kind: 'json' },
          400,
          'tenant_id',
        ],
        [ks.rootKey, { url: 'http://127.0.0.1:9/', kind: 'json' }, 400, 'tenant_id'],
        [
          ks.rootKey,
          { tenant_id: TENANT, all_tenants: true, url: 'http://127.0.0.1:9/', kind: 'json' },
          400,
          'all_tenants',
        ],
        [tenantKey.secret, { all_tenants: false, url: 'http://127.0.0.1:9/', kind: 'json' }, 400, 'all_tenants'],
        [ks.rootKey, { scope: 'global', url: 'http://127.0.0.1:9/', kind: 'json' }, 400, 'scope'],
        [
          ks.rootKey,
          { scope: 'platform', all_tenants: 'yes', url: 'http://127.0.0.1:9/', kind: 'json' },
          400,
          'all_tenants',
        ],
        // The SSRF guard applies to platform destinations too.
        [ks.rootKey, { scope: 'platform', url: 'http://169.254.169.254/latest/meta-data/', kind: 'json' }, 422, 'url'],
      ] as const) {
        const refused = await ks.call<{ error: { field: string } }>('POST', '/v1/webhooks', token, body);
        expect(refused.status, JSON.stringify(body)).toBe(status);
        expect(refused.body.error.field, JSON.stringify(body)).toBe(field);
      }
      const listRefused = await ks.call<{ error: { field: string } }>(
        'GET',
        `/v1/webhooks?scope=platform&tenant_id=${TENANT}`,
        ks.rootKey,
      );
      expect(listRefused.status).toBe(400);
      expect(listRefused.body.error.field).toBe('tenant_id');
      expect((await ks.call<{ webhooks: unknown[] }>('GET', '/v1/webhooks', ks.rootKey)).body.webhooks).toEqual([]);
    } finally {
      await ks.close();
    }
  });
});
