import { Writable } from 'node:stream';
import { generateKey, type AuthEvent } from '@keywatch/contracts';
import { createLogger } from '@keywatch/logger';
import { collectMessages, describe, expect, test } from '@keywatch/testkit';
import { startTestKeyService } from './testing.js';

const A = 'tenant_prod_aaa111';
const B = 'tenant_prod_bbb222';

describe('admin API permissions', () => {
  test('enforces the permission matrix: root, own tenant, other tenant, missing scope, publishable, bad credentials', async ({
    kafka,
    redis,
    logger,
  }) => {
    const ks = await startTestKeyService({ kafka, redis, logger });
    try {
      const adminA = await ks.createKey({
        tenant_id: A,
        type: 'secret',
        environment: 'live',
        name: 'admin A',
        scopes: ['keys:manage'],
      });
      const auditorA = await ks.createKey({
        tenant_id: A,
        type: 'secret',
        environment: 'live',
        name: 'auditor A',
        scopes: ['audit:read'],
      });
      const plainA = await ks.createKey({ tenant_id: A, type: 'secret', environment: 'live', name: 'backend A' });
      const publishableA = await ks.createKey({
        tenant_id: A,
        type: 'publishable',
        environment: 'live',
        name: 'web A',
      });
      const keyB = await ks.createKey({ tenant_id: B, type: 'secret', environment: 'live', name: 'backend B' });
      const adminB = await ks.createKey({
        tenant_id: B,
        type: 'secret',
        environment: 'live',
        name: 'admin B',
        scopes: ['keys:manage'],
      });

      const code = async (
        token: string | null,
        method: string,
        path: string,
        body?: unknown,
        headers?: Record<string, string>,
      ) => {
        const r = await ks.call<{ error?: { code: string } }>(method, path, token, body, headers);
        return `${r.status} ${r.body.error?.code ?? 'ok'}`;
      };
      // Credentials that are not good enough, whatever the call.
      expect(await code(null, 'GET', '/v1/keys')).toBe('401 missing_key');
      expect(await code('sk_live_nope', 'GET', '/v1/keys')).toBe('401 malformed_key');
      expect(
        await code(`${plainA.secret.slice(0, -1)}${plainA.secret.endsWith('A') ? 'B' : 'A'}`, 'GET', '/v1/keys'),
      ).toBe('401 malformed_key');
      expect(await code(generateKey({ type: 'secret', environment: 'live' }), 'GET', '/v1/keys')).toBe(
        '401 unknown_key',
      );
      expect(await code(publishableA.secret, 'GET', '/v1/keys')).toBe('403 insufficient_scope');
      expect(await code(plainA.secret, 'GET', '/v1/keys')).toBe('403 insufficient_scope');
      expect(await code(auditorA.secret, 'GET', '/v1/keys')).toBe('403 insufficient_scope');
      expect(await code(null, 'GET', '/v1/keys', undefined, { 'x-api-key': adminA.secret })).toBe('200 ok');

      // A tenant's admin key manages its own tenant only.
      expect(await code(adminA.secret, 'GET', `/v1/keys/${plainA.id}`)).toBe('200 ok');
      expect(await code(adminA.secret, 'GET', `/v1/keys/${keyB.id}`)).toBe('404 not_found');
      expect(await code(adminA.secret, 'POST', `/v1/keys/${keyB.id}/revoke`, {})).toBe('404 not_found');
      expect(await code(adminA.secret, 'POST', `/v1/keys/${keyB.id}/rotate`, {})).toBe('404 not_found');
      expect(await code(adminA.secret, 'PATCH', `/v1/keys/${keyB.id}`, { name: 'mine now' })).toBe('404 not_found');
      expect(
        await code(adminA.secret, 'POST', '/v1/keys', {
          tenant_id: B,
          type: 'secret',
          environment: 'live',
          name: 'intruder',
        }),
      ).toBe('403 tenant_forbidden');
      expect(await code(adminA.secret, 'POST', '/v1/keys', { type: 'secret', environment: 'live', name: 'own' })).toBe(
        '201 ok',
      );
      const listedByA = await ks.call<{ keys: Array<{ tenant_id: string }> }>('GET', '/v1/keys', adminA.secret);
      expect(new Set(listedByA.body.keys.map((k) => k.tenant_id))).toEqual(new Set([A]));
      // …and cannot hand out admin scopes it does not hold.
      expect(
        await code(adminA.secret, 'POST', '/v1/keys', {
          type: 'secret',
          environment: 'live',
          name: 'escalate',
          scopes: ['team:manage'],
        }),
      ).toBe('403 scope_escalation');

      // …nor take them over an existing key: rotating or reactivating a stronger key is refused,
      // revoking one (which only removes power) is not.
      const ownerA = await ks.createKey({
        tenant_id: A,
        type: 'secret',
        environment: 'live',
        name: 'owner A',
        scopes: ['keys:manage', 'team:manage'],
      });
      expect(await code(adminA.secret, 'POST', `/v1/keys/${ownerA.id}/rotate`, {})).toBe('403 scope_escalation');
      expect(await code(adminA.secret, 'PATCH', `/v1/keys/${ownerA.id}`, { name: 'mine' })).toBe(
        '403 scope_escalation',
      );
      expect(await code(ks.rootKey, 'POST', `/v1/keys/${ownerA.id}/deactivate`, {})).toBe('200 ok');
      expect(await code(adminA.secret, 'POST', `/v1/keys/${ownerA.id}/reactivate`, {})).toBe('403 scope_escalation');
      expect(await code(adminA.secret, 'POST', `/v1/keys/${ownerA.id}/revoke`, {})).toBe('200 ok');

      // allowed_ips holds against a forged X-Forwarded-For (no proxy is trusted by default).
      const pinned = await ks.createKey({
        tenant_id: A,
        type: 'secret',
        environment: 'live',
        name: 'pinned',
        scopes: ['keys:manage'],
        allowed_ips: ['203.0.113.0/24'],
      });
      expect(await code(pinned.secret, 'GET', '/v1/keys', undefined, { 'x-forwarded-for': '203.0.113.5' })).toBe(
        '403 ip_not_allowed',
      );

      // The audit log needs audit:read, and shows one tenant only.
      expect(await code(adminA.secret, 'GET', '/v1/audit')).toBe('403 insufficient_scope');
      const auditA = await ks.call<{ entries: Array<{ tenant_id: string }> }>('GET', '/v1/audit', auditorA.secret);
      expect(auditA.status).toBe(200);
      expect(new Set(auditA.body.entries.map((e) => e.tenant_id))).toEqual(new Set([A]));
      expect(await code(auditorA.secret, 'GET', `/v1/audit?tenant_id=${B}`)).toBe('403 tenant_forbidden');

      // The root key acts on every tenant.
      expect(await code(ks.rootKey, 'GET', `/v1/keys/${keyB.id}`)).toBe('200 ok');
      const all = await ks.call<{ keys: Array<{ tenant_id: string }> }>('GET', '/v1/keys', ks.rootKey);
      expect(new Set(all.body.keys.map((k) => k.tenant_id))).toEqual(new Set([A, B]));

      // Revoked and deactivated admin keys stop working at once.
      await ks.call('POST', `/v1/keys/${adminB.id}/deactivate`, ks.rootKey, {});
      expect(await code(adminB.secret, 'GET', '/v1/keys')).toBe('401 inactive_key');
      await ks.call('POST', `/v1/keys/${adminB.id}/revoke`, ks.rootKey, {});
      expect(await code(adminB.secret, 'GET', '/v1/keys')).toBe('401 revoked_key');

      // Every request, refused or not, became an auth event (the admin API eats its own dog food).
      // Events are keyed by key, fingerprint or address, so they arrive from several partitions in any order.
      const expected = [
        'missing_key',
        'malformed_key',
        'unknown_key',
        'insufficient_scope',
        'inactive_key',
        'revoked_key',
        'ip_not_allowed',
        'allowed',
      ];
      const events = await collectMessages<AuthEvent>(kafka.kafka, kafka.topics.authEvents, (m) =>
        expected.every((o) => m.some((e) => e.value?.outcome === o)),
      );
      const outcomes = new Set(events.map((e) => e.value?.outcome));
      for (const outcome of expected) expect(outcomes).toContain(outcome);
      const revoked = events.find((e) => e.value?.outcome === 'revoked_key')?.value;
      expect(revoked).toMatchObject({
        tenant_id: B,
        key_id: adminB.id,
        status: 401,
        route: '/v1/keys',
        method: 'GET',
        scope: 'keys:manage',
      });
    } finally {
      await ks.close();
    }
  });

  test('rate-limits its own callers with RateLimit headers and Retry-After', async ({ kafka, redis, logger }) => {
    const ks = await startTestKeyService({ kafka, redis, logger }, { KEY_SERVICE_RATE_LIMIT_PER_IP: '5' });
    try {
      const statuses: number[] = [];
      let last: Headers | undefined;
      for (let i = 0; i < 8; i++) {
        const r = await ks.call('GET', '/v1/keys?tenant_id=t', ks.rootKey);
        statuses.push(r.status);
        last = r.headers;
      }
      expect(statuses.filter((s) => s === 200)).toHaveLength(5);
      expect(statuses.slice(5)).toEqual([429, 429, 429]);
      const first = await ks.call('GET', '/v1/keys?tenant_id=t', ks.rootKey);
      expect(first.headers.get('ratelimit-limit')).toBe('5'); // on every answer, not only on 429
      expect(Number(last?.get('retry-after'))).toBeGreaterThan(0);
      expect(last?.get('ratelimit-limit')).toBe('5');
      expect(last?.get('ratelimit-remaining')).toBe('0');
    } finally {
      await ks.close();
    }
  });

  test('never writes a secret to its logs, even at trace level', async ({ kafka, redis }) => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger({ name: 'key-service', level: 'trace', destination: sink });
    const ks = await startTestKeyService({ kafka, redis, logger });
    const secrets = [ks.rootKey];
    try {
      const a = await ks.createKey({
        tenant_id: A,
        type: 'secret',
        environment: 'live',
        name: 'logged?',
        scopes: ['keys:manage'],
      });
      secrets.push(a.secret);
      const rotated = await ks.call<{ secret: string }>('POST', `/v1/keys/${a.id}/rotate`, ks.rootKey, {
        grace_period_s: 0,
      });
      secrets.push(rotated.body.secret);
      await ks.call('GET', '/v1/keys', a.secret);
      await ks.call('GET', '/v1/keys', rotated.body.secret);
      await ks.call('POST', '/v1/keys', rotated.body.secret, {
        type: 'secret',
        environment: 'live',
        name: `has ${a.secret} in it`,
        bogus: a.secret,
      });
      await ks.call('GET', `/v1/keys?status=${encodeURIComponent(rotated.body.secret)}`, rotated.body.secret);
    } finally {
      await ks.close();
    }
    expect(lines.length).toBeGreaterThan(0);
    const everything = lines.join('');
    for (const secret of secrets) expect(everything).not.toContain(secret);
    for (const secret of secrets) expect(everything).not.toContain(secret.slice(8, 30));
  });
});
