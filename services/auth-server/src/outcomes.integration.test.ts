import { generateKey, OUTCOME_STATUS, type AuthEvent, type Outcome } from '@keywatch/contracts';
import { startTestKeyService } from '@keywatch/key-service/testing';
import { collectMessages, describe, expect, test } from '@keywatch/testkit';
import type { VerifyAnswer } from './routes.js';
import { startTestAuthServer } from './testing.js';

const TENANT = 'tenant_as_outcomes';

interface Expected {
  requestId: string;
  outcome: Outcome;
  status: number;
  keyId: string | null;
  ip: string;
  gatewayId: string;
  route: string;
  scope: string | null;
}

async function poll(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}

describe('auth server outcomes', () => {
  test('every outcome through POST /v1/verify and forward-auth, each with its auth event on Kafka', async ({
    kafka,
    redis,
    logger,
  }) => {
    const ks = await startTestKeyService({ kafka, redis, logger });
    const server = await startTestAuthServer({ kafka, redis, logger });
    const expected: Expected[] = [];
    const verify = async (body: Record<string, unknown>) => {
      const response = await fetch(new URL('/v1/verify', server.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return {
        status: response.status,
        body: (await response.json()) as VerifyAnswer & { error?: { code: string; field?: string } },
      };
    };
    async function expectVerify(
      outcome: Outcome,
      body: Record<string, unknown>,
      want: { keyId?: string | null; route?: string; scope?: string | null; status?: number } = {},
    ) {
      const response = await verify({
        user_agent: 'verify-test',
        gateway_id: 'edge-php-1',
        ip: '203.0.113.50',
        ...body,
      });
      const status = want.status ?? OUTCOME_STATUS[outcome] ?? 200;
      expect(response.status, `${outcome}: verify answers 200 even for a bad key`).toBe(200);
      expect(
        {
          outcome: response.body.outcome,
          status: response.body.status,
          valid: response.body.valid,
          key: response.body.key?.id ?? null,
        },
        outcome,
      ).toEqual({ outcome, status, valid: status === 200, key: want.keyId ?? null });
      expected.push({
        requestId: response.body.request_id,
        outcome,
        status,
        keyId: want.keyId ?? null,
        ip: typeof body.ip === 'string' ? body.ip : '203.0.113.50',
        gatewayId: typeof body.gateway_id === 'string' ? body.gateway_id : 'edge-php-1',
        route: want.route ?? '/*',
        scope: want.scope === undefined ? null : want.scope,
      });
      return response.body;
    }
    const forward = async (
      uri: string,
      init: {
        method?: string;
        key?: string;
        ip?: string;
        origin?: string;
        nginx?: boolean;
        headers?: Record<string, string>;
      } = {},
    ) => {
      const headers: Record<string, string> = {
        'x-forwarded-method': init.method ?? 'GET',
        'x-forwarded-uri': uri,
        'x-forwarded-for': init.ip ?? '198.51.100.7',
        'user-agent': 'forward-test',
        ...init.headers,
      };
      if (init.key !== undefined) headers.authorization = `Bearer ${init.key}`;
      if (init.origin) headers.origin = init.origin;
      if (init.nginx) headers['x-keywatch-auth-mode'] = 'nginx';
      const response = await fetch(new URL('/v1/forward-auth', server.url), { headers });
      const text = await response.text();
      return {
        status: response.status,
        headers: response.headers,
        body: (text ? JSON.parse(text) : {}) as { error?: { code: string } },
      };
    };
    async function expectForward(
      outcome: Outcome,
      uri: string,
      init: Parameters<typeof forward>[1] & {
        keyId?: string | null;
        route?: string;
        scope?: string | null;
        status?: number;
      } = {},
    ) {
      const response = await forward(uri, init);
      const status = init.status ?? OUTCOME_STATUS[outcome] ?? 200;
      expect(response.status, `${outcome} on ${uri}`).toBe(status);
      if (status !== 200) expect(response.body.error?.code).toBe(outcome);
      else expect(response.headers.get('x-keywatch-key-id')).toBe(init.keyId);
      expected.push({
        requestId: response.headers.get('x-request-id')!,
        outcome,
        status,
        keyId: init.keyId ?? null,
        ip: init.ip ?? '198.51.100.7',
        gatewayId: server.defaultCallerId,
        route: init.route ?? uri.split('?')[0]!,
        scope: init.scope === undefined ? null : init.scope,
      });
      return response;
    }

    try {
      const full = await ks.createKey({
        tenant_id: TENANT,
        type: 'secret',
        environment: 'live',
        name: 'backend',
        scopes: ['subscriptions:read', 'customers:read'],
      });
      // verify: scope, route mapping, neither, scope winning over the route.
      const answer = await expectVerify(
        'allowed',
        { key: full.secret, scope: 'subscriptions:read' },
        { keyId: full.id, scope: 'subscriptions:read' },
      );
      expect(answer.key).toEqual({
        id: full.id,
        tenant_id: TENANT,
        type: 'secret',
        environment: 'live',
        scopes: ['subscriptions:read', 'customers:read'],
        name: 'backend',
      });
      expect(answer.rate_limit).toBeNull();
      await expectVerify(
        'allowed',
        { key: full.secret, method: 'get', route: '/v1/customers/cus_9' },
        { keyId: full.id, route: '/v1/customers/:id', scope: 'customers:read' },
      );
      await expectVerify('allowed', { key: full.secret }, { keyId: full.id });
      await expectVerify(
        'insufficient_scope',
        { key: full.secret, method: 'POST', route: '/v1/payments' },
        { keyId: full.id, route: '/v1/payments', scope: 'payments:write' },
      );
      await expectVerify(
        'insufficient_scope',
        { key: full.secret, scope: 'payments:write', method: 'GET', route: '/v1/subscriptions' },
        { keyId: full.id, route: '/v1/subscriptions', scope: 'payments:write' },
      );
      // No route rule: refused like the reference gateway's 404, never allowed by default.
      await expectVerify(
        'allowed',
        { key: full.secret, method: 'GET', route: '/v1/admin/things' },
        { keyId: full.id, status: 404 },
      );
      await expectVerify('missing_key', { key: '' });
      await expectVerify('malformed_key', { key: 'hunter2' });
      const unknown = generateKey({ type: 'secret', environment: 'live' });
      await expectVerify('unknown_key', { key: unknown, gateway_id: 'edge-go-2' });
      const dev = await ks.createKey({ tenant_id: TENANT, type: 'secret', environment: 'dev', name: 'dev' });
      await expectVerify('environment_mismatch', { key: dev.secret }, { keyId: dev.id });
      const pinned = await ks.createKey({
        tenant_id: TENANT,
        type: 'secret',
        environment: 'live',
        name: 'pinned',
        allowed_ips: ['203.0.113.0/24'],
      });
      await expectVerify('allowed', { key: pinned.secret, ip: '203.0.113.9' }, { keyId: pinned.id });
      await expectVerify('ip_not_allowed', { key: pinned.secret, ip: '2001:db8::1' }, { keyId: pinned.id });
      const web = await ks.createKey({
        tenant_id: TENANT,
        type: 'publishable',
        environment: 'live',
        name: 'web',
        allowed_origins: ['https://app.example.com'],
      });
      await expectVerify(
        'allowed',
        { key: web.secret, scope: 'bundles:read', origin: 'https://app.example.com' },
        { keyId: web.id, scope: 'bundles:read' },
      );
      await expectVerify(
        'origin_not_allowed',
        { key: web.secret, scope: 'bundles:read', origin: 'https://evil.example' },
        { keyId: web.id, scope: 'bundles:read' },
      );
      const limited = await ks.createKey({
        tenant_id: TENANT,
        type: 'secret',
        environment: 'live',
        name: 'limited',
        rate_limit: { limit: 2, window_s: 60 },
      });
      expect((await expectVerify('allowed', { key: limited.secret }, { keyId: limited.id })).rate_limit).toMatchObject({
        limit: 2,
        remaining: 1,
      });
      await expectVerify('allowed', { key: limited.secret }, { keyId: limited.id });
      const limitedAnswer = await expectVerify('rate_limited', { key: limited.secret }, { keyId: limited.id });
      expect(limitedAnswer.rate_limit?.remaining).toBe(0);
      expect(limitedAnswer.rate_limit?.reset_s).toBeGreaterThanOrEqual(1);

      const revoked = await ks.createKey({ tenant_id: TENANT, type: 'secret', environment: 'live', name: 'to revoke' });
      await expectVerify('allowed', { key: revoked.secret }, { keyId: revoked.id });
      expect((await ks.call('POST', `/v1/keys/${revoked.id}/revoke`, ks.rootKey, {})).status).toBe(200);
      expect(
        await poll(async () => (await verify({ key: revoked.secret })).body.outcome === 'revoked_key', 5000),
        'revocation seen through the lifecycle topic',
      ).toBe(true);
      await expectVerify('revoked_key', { key: revoked.secret }, { keyId: revoked.id });
      const paused = await ks.createKey({ tenant_id: TENANT, type: 'secret', environment: 'live', name: 'to pause' });
      expect((await ks.call('POST', `/v1/keys/${paused.id}/deactivate`, ks.rootKey, {})).status).toBe(200);
      await expectVerify('inactive_key', { key: paused.secret }, { keyId: paused.id });
      const old = await ks.createKey({ tenant_id: TENANT, type: 'secret', environment: 'live', name: 'rotated' });
      expect((await ks.call('POST', `/v1/keys/${old.id}/rotate`, ks.rootKey, { grace_period_s: 0 })).status).toBe(201);
      await expectVerify('expired_key', { key: old.secret }, { keyId: old.id });

      // forward-auth: the same outcomes as a proxy asks them.
      const allowed = await expectForward('allowed', '/v1/customers/cus_1?expand=x', {
        key: full.secret,
        keyId: full.id,
        route: '/v1/customers/:id',
        scope: 'customers:read',
      });
      expect(allowed.headers.get('x-keywatch-tenant-id')).toBe(TENANT);
      await expectForward('missing_key', '/v1/subscriptions', { scope: 'subscriptions:read' });
      await expectForward('malformed_key', '/v1/subscriptions', { key: 'sk_live_nope', scope: 'subscriptions:read' });
      await expectForward('unknown_key', '/v1/subscriptions', { key: unknown, scope: 'subscriptions:read' });
      await expectForward('revoked_key', '/v1/subscriptions', {
        key: revoked.secret,
        keyId: revoked.id,
        scope: 'subscriptions:read',
      });
      await expectForward('expired_key', '/v1/subscriptions', {
        key: old.secret,
        keyId: old.id,
        scope: 'subscriptions:read',
      });
      await expectForward('inactive_key', '/v1/subscriptions', {
        key: paused.secret,
        keyId: paused.id,
        scope: 'subscriptions:read',
      });
      await expectForward('environment_mismatch', '/v1/subscriptions', {
        key: dev.secret,
        keyId: dev.id,
        scope: 'subscriptions:read',
      });
      await expectForward('insufficient_scope', '/v1/subscriptions', {
        method: 'POST',
        key: full.secret,
        keyId: full.id,
        scope: 'subscriptions:write',
      });
      await expectForward('ip_not_allowed', '/v1/subscriptions', {
        key: pinned.secret,
        keyId: pinned.id,
        scope: 'subscriptions:read',
        ip: '192.0.2.1',
      });
      await expectForward('origin_not_allowed', '/v1/bundles', {
        key: web.secret,
        keyId: web.id,
        scope: 'bundles:read',
        origin: 'https://evil.example',
      });
      const limited2 = await ks.createKey({
        tenant_id: TENANT,
        type: 'secret',
        environment: 'live',
        name: 'limited2',
        rate_limit: { limit: 1, window_s: 60 },
      });
      const first = await expectForward('allowed', '/v1/subscriptions', {
        key: limited2.secret,
        keyId: limited2.id,
        scope: 'subscriptions:read',
      });
      expect([first.headers.get('ratelimit-limit'), first.headers.get('ratelimit-remaining')]).toEqual(['1', '0']);
      const plain = await expectForward('rate_limited', '/v1/subscriptions', {
        key: limited2.secret,
        keyId: limited2.id,
        scope: 'subscriptions:read',
      });
      expect(Number(plain.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      // nginx mode: 403 + X-Keywatch-Status: 429 + Retry-After; the event still says 429.
      const viaNginx = await forward('/v1/subscriptions', { key: limited2.secret, nginx: true });
      expect([viaNginx.status, viaNginx.headers.get('x-keywatch-status'), viaNginx.body.error?.code]).toEqual([
        403,
        '429',
        'rate_limited',
      ]);
      expect(Number(viaNginx.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expected.push({
        requestId: viaNginx.headers.get('x-request-id')!,
        outcome: 'rate_limited',
        status: 429,
        keyId: limited2.id,
        ip: '198.51.100.7',
        gatewayId: server.defaultCallerId,
        route: '/v1/subscriptions',
        scope: 'subscriptions:read',
      });
      // X-Real-IP from a trusted peer, the path after /v1/forward-auth when no URI header, the caller's name by header.
      const real = await fetch(new URL('/v1/forward-auth/v1/subscriptions', server.url), {
        headers: {
          'x-api-key': full.secret,
          'x-real-ip': '2001:db8::77',
          'x-keywatch-gateway-id': 'caddy-edge',
          'user-agent': 'forward-test',
        },
      });
      expect(real.status).toBe(200);
      expected.push({
        requestId: real.headers.get('x-request-id')!,
        outcome: 'allowed',
        status: 200,
        keyId: full.id,
        ip: '2001:db8::77',
        gatewayId: 'caddy-edge',
        route: '/v1/subscriptions',
        scope: 'subscriptions:read',
      });

      expect(new Set(expected.map((e) => e.outcome)).size).toBe(Object.keys(OUTCOME_STATUS).length);
      const wanted = new Set(expected.map((e) => e.requestId));
      const messages = await collectMessages<AuthEvent>(kafka.kafka, kafka.topics.authEvents, (all) =>
        [...wanted].every((id) => all.some((m) => m.value?.request_id === id)),
      );
      const events = new Map(messages.map((m) => [m.value!.request_id, m.value!]));
      for (const e of expected) {
        const event = events.get(e.requestId);
        expect(event, `event of ${e.outcome} ${e.requestId}`).toBeDefined();
        expect(
          {
            outcome: event!.outcome,
            status: event!.status,
            key_id: event!.key_id,
            ip: event!.ip,
            gateway_id: event!.gateway_id,
            route: event!.route,
            scope: event!.scope,
          },
          e.outcome,
        ).toEqual({
          outcome: e.outcome,
          status: e.status,
          key_id: e.keyId,
          ip: e.ip,
          gateway_id: e.gatewayId,
          route: e.route,
          scope: e.scope,
        });
        expect(event!.user_agent).toMatch(/^(verify|forward)-test$/);
      }
      expect(messages.filter((m) => wanted.has(m.value!.request_id))).toHaveLength(wanted.size);
    } finally {
      await server.close();
      await ks.close();
    }
  });
});
