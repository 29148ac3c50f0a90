import { request as httpRequest } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateKey, OUTCOME_STATUS, type AuthEvent, type Outcome } from '@keywatch/contracts';
import { demoRoutes, NOT_FOUND } from '@keywatch/gateway';
import Fastify from 'fastify';
import { startTestKeyService } from '@keywatch/key-service/testing';
import { collectMessages, describe, expect, test } from '@keywatch/testkit';
import { freePort, startCaddy, startNginx, type RunningProxy } from '@keywatch/testkit/support';
import { caddyfile, nginxConfig } from './proxy-configs.js';
import { startTestAuthServer } from './testing.js';

const TENANT = 'tenant_as_proxies';
/** The client's own address: not a trusted proxy, so the auth server must report it, not 127.0.0.1. */
const CLIENT_IP = '127.0.0.2';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: { error?: { code: string } } & Record<string, unknown>;
}

function call(
  url: string,
  init: { method?: string; key?: string; origin?: string; body?: string; userAgent?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { 'user-agent': init.userAgent ?? 'proxy-test' };
  if (init.key !== undefined) headers.authorization = `Bearer ${init.key}`;
  if (init.origin) headers.origin = init.origin;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: init.method ?? 'GET', headers, localAddress: CLIENT_IP, agent: false },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => {
          let body: Answer['body'] = {};
          try {
            body = text ? (JSON.parse(text) as Answer['body']) : {};
          } catch {
            body = { raw: text };
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

describe('auth server behind real reverse proxies', () => {
  test('nginx auth_request and Caddy forward_auth: every outcome to the client, 429 with Retry-After, the client IP in each auth event, revocation within 1 s, a limit of 50 exact under 200 concurrent requests', async ({
    kafka,
    redis,
    logger,
  }) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'keywatch-proxies-'));
    const ks = await startTestKeyService({ kafka, redis, logger });
    const server = await startTestAuthServer(
      { kafka, redis, logger },
      { AUTH_SERVER_TOKEN: 'proxy-test-token-0123456789' },
    );
    // The reference gateway's demo routes, as the service behind the proxies.
    const upstreamApp = Fastify({ logger: false });
    demoRoutes(upstreamApp);
    upstreamApp.setNotFoundHandler((_request, reply) => reply.code(404).send(NOT_FOUND));
    const upstream = {
      url: await upstreamApp.listen({ host: '127.0.0.1', port: 0 }),
      close: () => upstreamApp.close(),
    };
    const common = { authUrl: server.url, upstreamUrl: upstream.url, token: 'proxy-test-token-0123456789' };
    const started: RunningProxy[] = [];
    const urls = { nginx: '', caddy: '' };
    const seen: Array<{ proxy: string; outcome: Outcome; status: number; keyId: string | null }> = [];
    async function expectThrough(
      proxy: 'nginx' | 'caddy',
      outcome: Outcome,
      status: number,
      pathname: string,
      init: Parameters<typeof call>[1] & { keyId?: string; eventStatus?: number } = {},
    ) {
      const base = urls[proxy];
      const answer = await call(`${base}${pathname}`, init);
      expect(answer.status, `${proxy} ${outcome} ${pathname} ${JSON.stringify(answer.body)}`).toBe(status);
      if (outcome !== 'allowed') expect(answer.body.error?.code, `${proxy} ${outcome}`).toBe(outcome);
      seen.push({ proxy, outcome, status: init.eventStatus ?? status, keyId: init.keyId ?? null });
      return answer;
    }
    try {
      const nginxOptions = { ...common, port: await freePort(), gatewayId: 'nginx-edge', dir: path.join(dir, 'nginx') };
      const nginx = await startNginx({ ...nginxOptions, config: nginxConfig(nginxOptions) });
      started.push(nginx);
      const caddyOptions = { ...common, port: await freePort(), gatewayId: 'caddy-edge', dir: path.join(dir, 'caddy') };
      const caddy = await startCaddy({ ...caddyOptions, config: caddyfile(caddyOptions) });
      started.push(caddy);
      urls.nginx = nginx.url;
      urls.caddy = caddy.url;
      const full = await ks.createKey({
        tenant_id: TENANT,
        type: 'secret',
        environment: 'live',
        name: 'backend',
        scopes: ['subscriptions:read', 'customers:read'],
      });
      const dev = await ks.createKey({ tenant_id: TENANT, type: 'secret', environment: 'dev', name: 'dev' });
      const revoked = await ks.createKey({ tenant_id: TENANT, type: 'secret', environment: 'live', name: 'revoked' });
      const pinned = await ks.createKey({
        tenant_id: TENANT,
        type: 'secret',
        environment: 'live',
        name: 'pinned',
        allowed_ips: ['203.0.113.0/24'],
      });
      const web = await ks.createKey({
        tenant_id: TENANT,
        type: 'publishable',
        environment: 'live',
        name: 'web',
        allowed_origins: ['https://app.example.com'],
      });
      const unknown = generateKey({ type: 'secret', environment: 'live' });
      expect((await ks.call('POST', `/v1/keys/${revoked.id}/revoke`, ks.rootKey, {})).status).toBe(200);
      const paused = await ks.createKey({ tenant_id: TENANT, type: 'secret', environment: 'live', name: 'paused' });
      expect((await ks.call('POST', `/v1/keys/${paused.id}/deactivate`, ks.rootKey, {})).status).toBe(200);
      const rotated = await ks.createKey({ tenant_id: TENANT, type: 'secret', environment: 'live', name: 'rotated' });
      expect((await ks.call('POST', `/v1/keys/${rotated.id}/rotate`, ks.rootKey, { grace_period_s: 0 })).status).toBe(
        201,
      );

      for (const proxy of ['nginx', 'caddy'] as const) {
        const ok = await expectThrough(proxy, 'allowed', 200, '/v1/subscriptions', {
          key: full.secret,
          keyId: full.id,
        });
        expect(ok.body, 'the demo upstream answered').toHaveProperty('subscriptions');
        await expectThrough(proxy, 'allowed', 200, '/v1/customers/cus_7', { key: full.secret, keyId: full.id });
        // The upstream's own 404 after an allowed check: nginx reports it back and the event says
        // 404 (the contract's status is the client's); Caddy cannot report, so its event says 200.
        await expectThrough(proxy, 'allowed', 404, '/v1/customers/missing_1', {
          key: full.secret,
          keyId: full.id,
          eventStatus: proxy === 'nginx' ? 404 : 200,
        });
        await expectThrough(proxy, 'missing_key', 401, '/v1/subscriptions');
        await expectThrough(proxy, 'malformed_key', 401, '/v1/subscriptions', { key: 'sk_live_short' });
        await expectThrough(proxy, 'unknown_key', 401, '/v1/subscriptions', { key: unknown });
        await expectThrough(proxy, 'revoked_key', 401, '/v1/subscriptions', { key: revoked.secret, keyId: revoked.id });
        await expectThrough(proxy, 'inactive_key', 401, '/v1/subscriptions', { key: paused.secret, keyId: paused.id });
        await expectThrough(proxy, 'expired_key', 401, '/v1/subscriptions', { key: rotated.secret, keyId: rotated.id });
        await expectThrough(proxy, 'insufficient_scope', 403, '/v1/payments', {
          method: 'POST',
          key: full.secret,
          keyId: full.id,
          body: '{"amount":1}',
        });
        await expectThrough(proxy, 'environment_mismatch', 403, '/v1/subscriptions', {
          key: dev.secret,
          keyId: dev.id,
        });
        await expectThrough(proxy, 'ip_not_allowed', 403, '/v1/subscriptions', {
          key: pinned.secret,
          keyId: pinned.id,
        });
        await expectThrough(proxy, 'origin_not_allowed', 403, '/v1/bundles', {
          key: web.secret,
          keyId: web.id,
          origin: 'https://evil.example',
        });
        // A key in the URL is refused before any lookup (and so has no auth event).
        const inUrl = await call(`${urls[proxy]}/v1/subscriptions?api_key=${full.secret}`, { key: full.secret });
        expect([inUrl.status, inUrl.body.error?.code], `${proxy}: key in the query string`).toEqual([
          400,
          'key_in_query',
        ]);
        const limited = await ks.createKey({
          tenant_id: TENANT,
          type: 'secret',
          environment: 'live',
          name: `limited ${proxy}`,
          rate_limit: { limit: 1, window_s: 60 },
        });
        const first = await expectThrough(proxy, 'allowed', 200, '/v1/subscriptions', {
          key: limited.secret,
          keyId: limited.id,
        });
        if (proxy === 'nginx')
          expect([first.headers['ratelimit-limit'], first.headers['ratelimit-remaining']]).toEqual(['1', '0']);
        const refused = await expectThrough(proxy, 'rate_limited', 429, '/v1/subscriptions', {
          key: limited.secret,
          keyId: limited.id,
        });
        expect(Number(refused.headers['retry-after']), `${proxy}: Retry-After to the client`).toBeGreaterThanOrEqual(1);
      }

      for (const proxy of ['nginx', 'caddy'] as const)
        expect(
          new Set(seen.filter((s) => s.proxy === proxy).map((s) => s.outcome)).size,
          `${proxy}: every outcome`,
        ).toBe(Object.keys(OUTCOME_STATUS).length);
      // Every decision's event carries the client's address as the proxy passed it, and the proxy's name.
      const messages = await collectMessages<AuthEvent>(
        kafka.kafka,
        kafka.topics.authEvents,
        (all) => all.filter((m) => m.value?.user_agent === 'proxy-test').length >= seen.length,
      );
      const events = messages.map((m) => m.value!).filter((e) => e.user_agent === 'proxy-test');
      expect(events).toHaveLength(seen.length);
      for (const proxy of ['nginx', 'caddy'] as const) {
        const mine = events.filter((e) => e.gateway_id === `${proxy}-edge`);
        // Events are partitioned by key, so compare them as sets, not in order.
        const sorted = (rows: Array<[string, number, string | null]>) => rows.map((r) => JSON.stringify(r)).sort();
        expect(sorted(mine.map((e) => [e.outcome, e.status, e.key_id])), proxy).toEqual(
          sorted(seen.filter((s) => s.proxy === proxy).map((s) => [s.outcome, s.status, s.keyId])),
        );
        expect(new Set(mine.map((e) => e.ip)), `${proxy}: the client's IP`).toEqual(new Set([CLIENT_IP]));
      }
      const allowed = events.find((e) => e.outcome === 'allowed' && e.route === '/v1/customers/:id');
      expect(allowed?.scope).toBe('customers:read');

      // Revocation reaches a key cached by the auth server within a second, seen through nginx.
      const doomed = await ks.createKey({ tenant_id: TENANT, type: 'secret', environment: 'live', name: 'doomed' });
      expect(
        (await call(`${urls.nginx}/v1/subscriptions`, { key: doomed.secret, userAgent: 'revocation' })).status,
      ).toBe(200);
      expect((await ks.call('POST', `/v1/keys/${doomed.id}/revoke`, ks.rootKey, {})).status).toBe(200);
      const revokedAt = performance.now();
      let revokedStatus = 0;
      while (performance.now() - revokedAt < 3000 && revokedStatus !== 401)
        revokedStatus = (await call(`${urls.nginx}/v1/subscriptions`, { key: doomed.secret, userAgent: 'revocation' }))
          .status;
      const revocationMs = performance.now() - revokedAt;
      expect(revokedStatus).toBe(401);
      expect(revocationMs, 'revocation seen through nginx within 1 s').toBeLessThan(1000);

      // A limit of 50, exact under 200 concurrent requests split across nginx and Caddy.
      const shared = await ks.createKey({
        tenant_id: TENANT,
        type: 'secret',
        environment: 'live',
        name: 'shared limit',
        rate_limit: { limit: 50, window_s: 60 },
      });
      const burst = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          call(`${i % 2 === 0 ? urls.nginx : urls.caddy}/v1/subscriptions`, { key: shared.secret, userAgent: 'burst' }),
        ),
      );
      expect(burst.filter((a) => a.status === 200)).toHaveLength(50);
      expect(burst.filter((a) => a.status === 429)).toHaveLength(150);
      expect(burst.filter((a) => a.status === 429).every((a) => Number(a.headers['retry-after']) >= 1)).toBe(true);
      // Neither proxy wrote a key anywhere (nginx's error log, Caddy's output).
      const nginxLog = readFileSync(path.join(dir, 'nginx', 'error.log'), 'utf8');
      for (const secret of [full.secret, revoked.secret, unknown, shared.secret]) {
        expect(nginxLog.includes(secret) || started.some((p) => p.output().includes(secret))).toBe(false);
      }
    } finally {
      for (const proxy of started) await proxy.close();
      await upstream.close();
      await server.close();
      await ks.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
