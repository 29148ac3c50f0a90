import { generateKey, OUTCOME_STATUS, type AuthEvent, type Outcome } from '@keywatch/contracts';
import { collectMessages, describe, expect, test } from '@keywatch/testkit';
import { startTestKeyService } from '@keywatch/key-service/testing';
import { pollUntil, startTestGateway } from './testing.js';

const TENANT = 'tenant_gw_outcomes';

interface Sent {
  outcome: Outcome;
  status: number;
  requestId: string;
  keyId: string | null;
  route: string;
  scope: string | null;
}

describe('reference gateway outcomes', () => {
  test('every outcome of docs/contracts.md#outcomes from a real request, each with its auth event on Kafka', async ({
    kafka,
    redis,
    logger,
  }) => {
    const ks = await startTestKeyService({ kafka, redis, logger });
    const gateway = await startTestGateway({ kafka, redis, logger }, { GATEWAY_ENVIRONMENT: 'live' });
    const sent: Sent[] = [];
    async function request(
      path: string,
      init: {
        method?: string;
        key?: string;
        header?: 'bearer' | 'x-api-key';
        ip?: string;
        origin?: string;
        body?: unknown;
      } = {},
    ) {
      const headers: Record<string, string> = {
        'x-forwarded-for': init.ip ?? '198.51.100.7',
        'user-agent': 'gateway-test',
      };
      if (init.key !== undefined)
        headers[init.header === 'x-api-key' ? 'x-api-key' : 'authorization'] =
          init.header === 'x-api-key' ? init.key : `Bearer ${init.key}`;
      if (init.origin) headers.origin = init.origin;
      if (init.body !== undefined) headers['content-type'] = 'application/json';
      const response = await fetch(new URL(path, gateway.url), {
        method: init.method ?? 'GET',
        headers,
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      });
      const text = await response.text();
      return {
        status: response.status,
        headers: response.headers,
        body: (text ? JSON.parse(text) : {}) as { error?: { code: string } },
      };
    }
    async function expectOutcome(
      outcome: Outcome,
      path: string,
      init: Parameters<typeof request>[1] & {
        keyId?: string | null;
        route?: string;
        scope?: string | null;
        status?: number;
      } = {},
    ) {
      const response = await request(path, init);
      const status = init.status ?? OUTCOME_STATUS[outcome] ?? 200;
      expect(response.status, `${outcome} on ${path}`).toBe(status);
      if (outcome !== 'allowed') expect(response.body.error?.code).toBe(outcome);
      const requestId = response.headers.get('x-request-id');
      expect(requestId).toBeTruthy();
      sent.push({
        outcome,
        status,
        requestId: requestId!,
        keyId: init.keyId ?? null,
        route: init.route ?? path.split('?')[0]!,
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
        scopes: ['subscriptions:read', 'customers:read', 'payments:write'],
      });
      await expectOutcome('allowed', '/v1/subscriptions', {
        key: full.secret,
        keyId: full.id,
        scope: 'subscriptions:read',
      });
      await expectOutcome('allowed', '/v1/customers/cus_42', {
        key: full.secret,
        header: 'x-api-key',
        keyId: full.id,
        route: '/v1/customers/:id',
        scope: 'customers:read',
      });
      // The upstream's own status passes through for an allowed request.
      await expectOutcome('allowed', '/v1/payments', {
        method: 'POST',
        key: full.secret,
        body: { amount: -1 },
        status: 400,
        keyId: full.id,
        scope: 'payments:write',
      });
      await expectOutcome('allowed', '/v1/payments', {
        method: 'POST',
        key: full.secret,
        body: { amount: 1200 },
        status: 201,
        keyId: full.id,
        scope: 'payments:write',
      });
      // No rule for the path: answered 404 by the gateway, never forwarded.
      await expectOutcome('allowed', '/v1/secret-admin-thing', {
        key: full.secret,
        status: 404,
        keyId: full.id,
        route: '/*',
        scope: null,
      });

      await expectOutcome('missing_key', '/v1/subscriptions', { scope: 'subscriptions:read' });
      const valid = generateKey({ type: 'secret', environment: 'live' });
      const badChecksum = valid.slice(0, -1) + (valid.endsWith('A') ? 'B' : 'A');
      // A lifecycle event arriving mid-lookup keeps that lookup out of the cache; let `full`'s pass first.
      expect(await pollUntil(() => gateway.invalidator.stats().events >= 1, 5000)).toBe(true);
      const lookupsBefore = gateway.keywatch.verifier.stats().lookups;
      await expectOutcome('malformed_key', '/v1/subscriptions', { key: badChecksum, scope: 'subscriptions:read' });
      await expectOutcome('malformed_key', '/v1/subscriptions', { key: 'hunter2', scope: 'subscriptions:read' });
      expect(gateway.keywatch.verifier.stats().lookups, 'a malformed key is refused without any lookup').toBe(
        lookupsBefore,
      );
      await expectOutcome('unknown_key', '/v1/subscriptions', { key: valid, scope: 'subscriptions:read' });
      await expectOutcome('unknown_key', '/v1/subscriptions', { key: valid, scope: 'subscriptions:read' });
      expect(gateway.keywatch.verifier.stats().lookups, 'the second unknown attempt is a negative cache hit').toBe(
        lookupsBefore + 1,
      );

      const dev = await ks.createKey({ tenant_id: TENANT, type: 'secret', environment: 'dev', name: 'dev' });
      await expectOutcome('environment_mismatch', '/v1/subscriptions', {
        key: dev.secret,
        keyId: dev.id,
        scope: 'subscriptions:read',
      });
      await expectOutcome('insufficient_scope', '/v1/subscriptions', {
        method: 'POST',
        key: full.secret,
        body: { bundle: 'bundle_pro' },
        keyId: full.id,
        scope: 'subscriptions:write',
      });

      const pinned = await ks.createKey({
        tenant_id: TENANT,
        type: 'secret',
        environment: 'live',
        name: 'pinned',
        scopes: ['subscriptions:read'],
        allowed_ips: ['203.0.113.0/24', '2001:db8::/32'],
      });
      await expectOutcome('allowed', '/v1/subscriptions', {
        key: pinned.secret,
        ip: '203.0.113.77',
        keyId: pinned.id,
        scope: 'subscriptions:read',
      });
      await expectOutcome('allowed', '/v1/subscriptions', {
        key: pinned.secret,
        ip: '2001:db8:1::9',
        keyId: pinned.id,
        scope: 'subscriptions:read',
      });
      await expectOutcome('ip_not_allowed', '/v1/subscriptions', {
        key: pinned.secret,
        ip: '198.51.100.7',
        keyId: pinned.id,
        scope: 'subscriptions:read',
      });
      await expectOutcome('ip_not_allowed', '/v1/subscriptions', {
        key: pinned.secret,
        ip: '2001:db9::1',
        keyId: pinned.id,
        scope: 'subscriptions:read',
      });

      const web = await ks.createKey({
        tenant_id: TENANT,
        type: 'publishable',
        environment: 'live',
        name: 'web',
        allowed_origins: ['https://app.example.com'],
      });
      await expectOutcome('allowed', '/v1/bundles', {
        key: web.secret,
        origin: 'https://app.example.com',
        keyId: web.id,
        scope: 'bundles:read',
      });
      await expectOutcome('origin_not_allowed', '/v1/bundles', {
        key: web.secret,
        origin: 'https://evil.example',
        keyId: web.id,
        scope: 'bundles:read',
      });

      const limited = await ks.createKey({
        tenant_id: TENANT,
        type: 'secret',
        environment: 'live',
        name: 'limited',
        scopes: ['subscriptions:read'],
        rate_limit: { limit: 2, window_s: 60 },
      });
      const first = await expectOutcome('allowed', '/v1/subscriptions', {
        key: limited.secret,
        keyId: limited.id,
        scope: 'subscriptions:read',
      });
      expect([first.headers.get('ratelimit-limit'), first.headers.get('ratelimit-remaining')]).toEqual(['2', '1']);
      await expectOutcome('allowed', '/v1/subscriptions', {
        key: limited.secret,
        keyId: limited.id,
        scope: 'subscriptions:read',
      });
      const refused = await expectOutcome('rate_limited', '/v1/subscriptions', {
        key: limited.secret,
        keyId: limited.id,
        scope: 'subscriptions:read',
      });
      expect(refused.headers.get('ratelimit-remaining')).toBe('0');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(Number(refused.headers.get('ratelimit-reset'))).toBeGreaterThanOrEqual(1);

      // State changes of keys the gateway has cached: the lifecycle event drops the entry.
      const dropsBefore = gateway.keywatch.verifier.cache.stats().invalidations;
      const revoked = await ks.createKey({
        tenant_id: TENANT,
        type: 'secret',
        environment: 'live',
        name: 'to revoke',
        scopes: ['subscriptions:read'],
      });
      await expectOutcome('allowed', '/v1/subscriptions', {
        key: revoked.secret,
        keyId: revoked.id,
        scope: 'subscriptions:read',
      });
      expect((await ks.call('POST', `/v1/keys/${revoked.id}/revoke`, ks.rootKey, { reason: 'test' })).status).toBe(200);
      expect(
        await pollUntil(async () => (await request('/v1/subscriptions', { key: revoked.secret })).status === 401, 5000),
      ).toBe(true);
      await expectOutcome('revoked_key', '/v1/subscriptions', {
        key: revoked.secret,
        keyId: revoked.id,
        scope: 'subscriptions:read',
      });

      const paused = await ks.createKey({
        tenant_id: TENANT,
        type: 'secret',
        environment: 'live',
        name: 'to deactivate',
        scopes: ['subscriptions:read'],
      });
      await expectOutcome('allowed', '/v1/subscriptions', {
        key: paused.secret,
        keyId: paused.id,
        scope: 'subscriptions:read',
      });
      expect((await ks.call('POST', `/v1/keys/${paused.id}/deactivate`, ks.rootKey, {})).status).toBe(200);
      expect(
        await pollUntil(async () => (await request('/v1/subscriptions', { key: paused.secret })).status === 401, 5000),
      ).toBe(true);
      await expectOutcome('inactive_key', '/v1/subscriptions', {
        key: paused.secret,
        keyId: paused.id,
        scope: 'subscriptions:read',
      });

      // Rotation: grace 0 expires the old key at once; with a grace period it works until then.
      const old = await ks.createKey({
        tenant_id: TENANT,
        type: 'secret',
        environment: 'live',
        name: 'rotate now',
        scopes: ['subscriptions:read'],
      });
      expect((await ks.call('POST', `/v1/keys/${old.id}/rotate`, ks.rootKey, { grace_period_s: 0 })).status).toBe(201);
      await expectOutcome('expired_key', '/v1/subscriptions', {
        key: old.secret,
        keyId: old.id,
        scope: 'subscriptions:read',
      });
      const graceful = await ks.createKey({
        tenant_id: TENANT,
        type: 'secret',
        environment: 'live',
        name: 'rotate gracefully',
        scopes: ['subscriptions:read'],
      });
      await expectOutcome('allowed', '/v1/subscriptions', {
        key: graceful.secret,
        keyId: graceful.id,
        scope: 'subscriptions:read',
      });
      const rotated = await ks.call<{ secret: string; key: { id: string } }>(
        'POST',
        `/v1/keys/${graceful.id}/rotate`,
        ks.rootKey,
        { grace_period_s: 1 },
      );
      expect(rotated.status).toBe(201);
      await expectOutcome('allowed', '/v1/subscriptions', {
        key: graceful.secret,
        keyId: graceful.id,
        scope: 'subscriptions:read',
      });
      await expectOutcome('allowed', '/v1/subscriptions', {
        key: rotated.body.secret,
        keyId: rotated.body.key.id,
        scope: 'subscriptions:read',
      });
      // The cached record of the rotating key turns expired by its own clock, event or not.
      expect(
        await pollUntil(
          async () => (await request('/v1/subscriptions', { key: graceful.secret })).status === 401,
          5000,
          50,
        ),
      ).toBe(true);
      await expectOutcome('expired_key', '/v1/subscriptions', {
        key: graceful.secret,
        keyId: graceful.id,
        scope: 'subscriptions:read',
      });

      expect(
        gateway.keywatch.verifier.cache.stats().invalidations,
        'lifecycle events dropped cached keys',
      ).toBeGreaterThan(dropsBefore);
      const outcomes = new Set(sent.map((s) => s.outcome));
      expect([...outcomes].sort()).toEqual(Object.keys(OUTCOME_STATUS).sort());

      const wanted = new Set(sent.map((s) => s.requestId));
      const messages = await collectMessages<AuthEvent>(kafka.kafka, kafka.topics.authEvents, (all) =>
        [...wanted].every((id) => all.some((m) => m.value?.request_id === id)),
      );
      const events = new Map(
        messages.filter((m) => m.value?.gateway_id === gateway.gatewayId).map((m) => [m.value!.request_id, m]),
      );
      for (const s of sent) {
        const message = events.get(s.requestId);
        expect(message, `event of ${s.outcome} ${s.requestId}`).toBeDefined();
        const event = message!.value!;
        expect(
          {
            outcome: event.outcome,
            status: event.status,
            key_id: event.key_id,
            route: event.route,
            scope: event.scope,
          },
          s.outcome,
        ).toEqual({ outcome: s.outcome, status: s.status, key_id: s.keyId, route: s.route, scope: s.scope });
        expect(message!.key).toBe(event.key_id ?? event.key_fingerprint ?? event.ip);
        expect(event.tenant_id).toBe(s.keyId ? TENANT : null);
        if (s.outcome === 'missing_key') expect(event.key_fingerprint).toBeNull();
        else expect(event.key_fingerprint).toMatch(/^[0-9a-f]{16}$/);
        expect(event.user_agent).toBe('gateway-test');
        expect(event.latency_ms).toBeGreaterThanOrEqual(0);
      }
      const rateLimited = events.get(sent.find((s) => s.outcome === 'rate_limited')!.requestId)!.value!;
      expect(rateLimited.rate_limit).toEqual({ limit: 2, remaining: 0, window_s: 60 });
      const pinnedV6 = [...events.values()].find((m) => m.value!.ip === '2001:db8:1::9');
      expect(pinnedV6?.value?.outcome).toBe('allowed');
      expect(sent.filter((s) => events.has(s.requestId))).toHaveLength(sent.length);
    } finally {
      await gateway.close();
      await ks.close();
    }
  });
});
