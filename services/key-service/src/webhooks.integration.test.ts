import { describe, expect, test } from '@keywatch/testkit';
import { startTestKeyService } from './testing.js';

const TENANT = 'tenant_dev_hooks';
const SECRETS_KEY = 'test-secrets-key-0123456789abcdef0123456789';

interface WebhookBody {
  id: string;
  tenant_id: string;
  url: string;
  kind: string;
  min_severity: string;
  types: string[];
  created_at: string;
  updated_at: string;
}

describe('/v1/webhooks', () => {
  test('creates, lists, rotates and deletes destinations; the secret is shown once, audited, and sealed in Redis', async ({
    kafka,
    redis,
    logger,
  }) => {
    const ks = await startTestKeyService({ kafka, redis, logger }, { KEYWATCH_SECRETS_KEY: SECRETS_KEY });
    try {
      const admin = await ks.createKey({
        tenant_id: TENANT,
        type: 'secret',
        environment: 'live',
        name: 'hooks',
        scopes: ['webhooks:manage'],
      });
      const created = await ks.call<{ webhook: WebhookBody; secret: string }>('POST', '/v1/webhooks', admin.secret, {
        url: 'https://93.184.216.34/keywatch',
        kind: 'slack',
        min_severity: 'high',
        types: ['secret_key_client_side'],
      });
      expect(created.status).toBe(201);
      expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
      expect(Object.keys(created.body.webhook).sort()).toEqual([
        'created_at',
        'id',
        'kind',
        'min_severity',
        'tenant_id',
        'types',
        'updated_at',
        'url',
      ]);
      expect(created.body.webhook).toMatchObject({
        tenant_id: TENANT,
        url: 'https://93.184.216.34/keywatch',
        kind: 'slack',
        min_severity: 'high',
        types: ['secret_key_client_side'],
      });
      const id = created.body.webhook.id;

      const defaults = await ks.call<{ webhook: WebhookBody }>('POST', '/v1/webhooks', ks.rootKey, {
        tenant_id: TENANT,
        url: 'https://93.184.216.34/other',
        kind: 'json',
      });
      expect(defaults.body.webhook).toMatchObject({ min_severity: 'low', types: [] });

      const listed = await ks.call<{ webhooks: WebhookBody[] }>('GET', '/v1/webhooks', admin.secret);
      expect(listed.status).toBe(200);
      expect(listed.body.webhooks.map((w) => w.id)).toEqual([id, defaults.body.webhook.id]);
      expect(JSON.stringify(listed.body)).not.toContain(created.body.secret);

      const rotated = await ks.call<{ webhook: WebhookBody; secret: string }>(
        'POST',
        `/v1/webhooks/${id}/rotate-secret`,
        admin.secret,
        { grace_period_s: 600 },
      );
      expect(rotated.status).toBe(201);
      expect(rotated.body.secret).not.toBe(created.body.secret);
      expect(rotated.body.webhook.id).toBe(id);

      // Nothing in Redis holds a secret in the clear.
      const dump: string[] = [];
      let cursor = '0';
      do {
        const [next, keys] = await redis.client.scan(cursor, 'MATCH', `${redis.prefix}*`, 'COUNT', 500);
        cursor = next;
        for (const key of keys) {
          const type = await redis.client.type(key.slice(redis.prefix.length));
          if (type === 'string') dump.push(String(await redis.client.get(key.slice(redis.prefix.length))));
          if (type === 'stream')
            dump.push(JSON.stringify(await redis.client.xrange(key.slice(redis.prefix.length), '-', '+')));
        }
      } while (cursor !== '0');
      const everything = dump.join('\n');
      expect(everything).toContain(id);
      for (const secret of [created.body.secret, rotated.body.secret])
        expect(everything).not.toContain(secret.slice(6));

      expect((await ks.call('DELETE', `/v1/webhooks/${id}`, admin.secret)).status).toBe(204);
      expect((await ks.call('DELETE', `/v1/webhooks/${id}`, admin.secret)).status).toBe(404);
      const after = await ks.call<{ webhooks: WebhookBody[] }>('GET', `/v1/webhooks?tenant_id=${TENANT}`, ks.rootKey);
      expect(after.body.webhooks.map((w) => w.id)).toEqual([defaults.body.webhook.id]);

      const audit = await ks.call<{
        entries: Array<{ action: string; actor: string; details: Record<string, unknown> }>;
      }>('GET', `/v1/audit?tenant_id=${TENANT}`, ks.rootKey);
      const actions = audit.body.entries.filter((e) => e.action.startsWith('webhook_'));
      expect(actions.map((e) => e.action)).toEqual([
        'webhook_created',
        'webhook_created',
        'webhook_secret_rotated',
        'webhook_deleted',
      ]);
      expect(actions[0]).toMatchObject({
        actor: `key:${admin.id}`,
        details: { webhook_id: id, url_origin: 'https://93.184.216.34' },
      });
      expect(actions[1]?.actor).toBe('root');
    } finally {
      await ks.close();
    }
  });

  test('refuses SSRF targets at configuration time with 422 naming url', async ({ kafka, redis, logger }) => {
    const ks = await startTestKeyService({ kafka, redis, logger }, { KEYWATCH_SECRETS_KEY: SECRETS_KEY });
    try {
      for (const url of [
        'http://127.0.0.1:8080/',
        'http://localhost/',
        'http://169.254.169.254/latest/meta-data/',
        'http://[::1]/',
        'http://10.0.0.5/',
        'http://[::ffff:192.168.0.1]/',
        'http://2130706433/',
        'https://user:pw@93.184.216.34/',
        'gopher://93.184.216.34/',
      ]) {
        const refused = await ks.call<{ error: { code: string; field: string } }>('POST', '/v1/webhooks', ks.rootKey, {
          tenant_id: TENANT,
          url,
          kind: 'json',
        });
        expect(refused.status, url).toBe(422);
        expect(refused.body.error.field, url).toBe('url');
      }
      const bad = await ks.call<{ error: { field: string } }>('POST', '/v1/webhooks', ks.rootKey, {
        tenant_id: TENANT,
        url: 'nope',
        kind: 'json',
      });
      expect(bad.status).toBe(400);
      expect(bad.body.error.field).toBe('url');
      const list = await ks.call<{ webhooks: unknown[] }>('GET', `/v1/webhooks?tenant_id=${TENANT}`, ks.rootKey);
      expect(list.body.webhooks).toEqual([]);
    } finally {
      await ks.close();
    }
  });

  test('enforces scope and tenant boundaries and names bad fields', async ({ kafka, redis, logger }) => {
    const ks = await startTestKeyService(
      { kafka, redis, logger },
      { KEYWATCH_SECRETS_KEY: SECRETS_KEY, KEYWATCH_WEBHOOK_ALLOW_PRIVATE: 'true' },
    );
    try {
      const mine = await ks.createKey({
        tenant_id: TENANT,
        type: 'secret',
        environment: 'live',
        name: 'a',
        scopes: ['webhooks:manage'],
      });
      const theirs = await ks.createKey({
        tenant_id: 'tenant_other',
        type: 'secret',
        environment: 'live',
        name: 'b',
        scopes: ['webhooks:manage'],
      });
      const keysOnly = await ks.createKey({
        tenant_id: TENANT,
        type: 'secret',
        environment: 'live',
        name: 'c',
        scopes: ['keys:manage'],
      });
      const created = await ks.call<{ webhook: WebhookBody }>('POST', '/v1/webhooks', mine.secret, {
        url: 'http://127.0.0.1:9/hook',
        kind: 'json',
      });
      expect(created.status).toBe(201);
      const id = created.body.webhook.id;

      expect((await ks.call('GET', '/v1/webhooks', keysOnly.secret)).status).toBe(403);
      expect((await ks.call('DELETE', `/v1/webhooks/${id}`, theirs.secret)).status).toBe(404);
      expect((await ks.call('POST', `/v1/webhooks/${id}/rotate-secret`, theirs.secret, {})).status).toBe(404);
      expect((await ks.call('GET', `/v1/webhooks/${id}/deliveries`, theirs.secret)).status).toBe(404);
      expect((await ks.call<{ webhooks: unknown[] }>('GET', '/v1/webhooks', theirs.secret)).body.webhooks).toEqual([]);
      expect(
        (
          await ks.call('POST', '/v1/webhooks', theirs.secret, {
            tenant_id: TENANT,
            url: 'http://127.0.0.1/',
            kind: 'json',
          })
        ).status,
      ).toBe(403);
      const rootNoTenant = await ks.call<{ error: { field: string } }>('POST', '/v1/webhooks', ks.rootKey, {
        url: 'http://127.0.0.1/',
        kind: 'json',
      });
      expect(rootNoTenant.status).toBe(400);
      expect(rootNoTenant.body.error.field).toBe('tenant_id');
      for (const [body, field] of [
        [{ url: 'http://127.0.0.1/', kind: 'xml' }, 'kind'],
        [{ url: 'http://127.0.0.1/', kind: 'json', min_severity: 'urgent' }, 'min_severity'],
        [{ url: 'http://127.0.0.1/', kind: 'json', types: ['nope'] }, 'types.0'],
        [{ url: 'http://127.0.0.1/', kind: 'json', secret: 'mine' }, 'secret'],
      ] as const) {
        const refused = await ks.call<{ error: { field: string } }>('POST', '/v1/webhooks', mine.secret, body);
        expect(refused.status, JSON.stringify(body)).toBe(400);
        expect(refused.body.error.field).toBe(field);
      }
      expect(
        (await ks.call('POST', `/v1/webhooks/${id}/rotate-secret`, mine.secret, { grace_period_s: -1 })).status,
      ).toBe(400);
      expect((await ks.call('DELETE', '/v1/webhooks/not-an-id', mine.secret)).status).toBe(400);
    } finally {
      await ks.close();
    }
  });

  test('without KEYWATCH_SECRETS_KEY answers 422 not_configured', async ({ kafka, redis, logger }) => {
    const ks = await startTestKeyService({ kafka, redis, logger });
    try {
      const refused = await ks.call<{ error: { code: string; message: string } }>('POST', '/v1/webhooks', ks.rootKey, {
        tenant_id: TENANT,
        url: 'https://93.184.216.34/',
        kind: 'json',
      });
      expect(refused.status).toBe(422);
      expect(refused.body.error.code).toBe('not_configured');
      expect(refused.body.error.message).toContain('KEYWATCH_SECRETS_KEY');
    } finally {
      await ks.close();
    }
  });
});
