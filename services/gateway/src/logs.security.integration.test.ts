import { generateKey } from '@keywatch/contracts';
import { createLogger } from '@keywatch/logger';
import { describe, expect, test } from '@keywatch/testkit';
import { startTestKeyService } from '@keywatch/key-service/testing';
import { pollUntil, startTestGateway } from './testing.js';

describe('gateway logs', () => {
  test('no presented or issued key appears in any log line, at trace level, whatever the outcome', async ({
    kafka,
    redis,
  }) => {
    const lines: string[] = [];
    const logger = createLogger({
      name: 'gateway-log-test',
      level: 'trace',
      destination: { write: (chunk: string) => void lines.push(...chunk.split('\n').filter(Boolean)) },
    });
    const ks = await startTestKeyService({ kafka, redis, logger });
    const gateway = await startTestGateway({ kafka, redis, logger }, { GATEWAY_UPSTREAM_URL: 'http://127.0.0.1:9' });
    const keys: string[] = [ks.rootKey];
    let closed = false;
    const call = async (
      path: string,
      headers: Record<string, string>,
      init: { method?: string; body?: string } = {},
    ) => {
      const response = await fetch(new URL(path, gateway.url), {
        method: init.method ?? 'GET',
        headers,
        body: init.body,
      });
      await response.arrayBuffer();
      return response.status;
    };
    try {
      const good = await ks.createKey({
        tenant_id: 'tenant_gw_logs',
        type: 'secret',
        environment: 'live',
        name: 'good',
        scopes: ['subscriptions:read'],
        rate_limit: { limit: 1, window_s: 60 },
      });
      const dev = await ks.createKey({ tenant_id: 'tenant_gw_logs', type: 'secret', environment: 'dev', name: 'dev' });
      const revoked = await ks.createKey({
        tenant_id: 'tenant_gw_logs',
        type: 'secret',
        environment: 'live',
        name: 'revoked',
      });
      await ks.call('POST', `/v1/keys/${revoked.id}/revoke`, ks.rootKey, {});
      const unknown = generateKey({ type: 'secret', environment: 'live' });
      const malformed = `${generateKey({ type: 'publishable', environment: 'live' }).slice(0, -1)}0`;
      keys.push(good.secret, dev.secret, revoked.secret, unknown, malformed);

      // Allowed (upstream down: a 502 and an upstream error line), rate limited, refused in every way;
      // keys in the Authorization header, X-Api-Key, the query string, the user agent and the body.
      expect(await call('/v1/subscriptions', { authorization: `Bearer ${good.secret}` })).toBe(502);
      expect(
        await call(`/v1/subscriptions?api_key=${good.secret}`, {
          'x-api-key': good.secret,
          'user-agent': `curl ${good.secret}`,
        }),
      ).toBe(429);
      expect(await call('/v1/subscriptions', { authorization: `Bearer ${dev.secret}` })).toBe(403);
      expect(
        await pollUntil(
          async () => (await call('/v1/subscriptions', { authorization: `Bearer ${revoked.secret}` })) === 401,
          5000,
        ),
      ).toBe(true);
      expect(
        await call('/v1/subscriptions', { authorization: `Bearer ${unknown}`, origin: `https://${unknown}.example` }),
      ).toBe(401);
      expect(await call('/v1/bundles', { 'x-api-key': malformed })).toBe(401);
      expect(
        await call(
          '/v1/payments',
          { authorization: `Basic ${good.secret}`, 'content-type': 'application/json' },
          { method: 'POST', body: JSON.stringify({ key: good.secret }) },
        ),
      ).toBe(401);
      await gateway.close();
      await ks.close();
      closed = true;

      expect(lines.length, 'trace logging produced lines to check').toBeGreaterThan(20);
      expect(
        lines.some((line) => line.includes(good.id)),
        'key ids are logged (they are safe)',
      ).toBe(true);
      for (const key of keys) {
        // The whole key, and its random body alone (a prefix-stripping leak would still be a leak).
        const body = key.slice(key.indexOf('_', 3) + 1);
        const leaks = lines.filter((line) => line.includes(key) || line.includes(body));
        expect(leaks, `lines containing a key ending ${key.slice(-4)}`).toEqual([]);
      }
    } finally {
      if (!closed) {
        await gateway.close();
        await ks.close();
      }
    }
  });
});
