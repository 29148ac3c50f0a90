import { connect } from 'node:net';
import { ConfigError } from '@keywatch/config';
import { generateKey } from '@keywatch/contracts';
import { startTestKeyService } from '@keywatch/key-service/testing';
import { createLogger } from '@keywatch/logger';
import { describe, expect, test } from '@keywatch/testkit';
import { startTestAuthServer } from './testing.js';

const TOKEN = 'deployment-token-0123456789abcdef';

/** Sends raw bytes (what fetch refuses to send) and returns the status of the answer. */
function raw(url: string, request: string): Promise<{ status: number; head: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let data = '';
    socket.on('data', (chunk) => (data += chunk.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () =>
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0), head: data.split('\r\n\r\n')[0] ?? '' }),
    );
    socket.end(request);
  });
}

describe('auth server under hostile callers', () => {
  test('refuses to start on a non-loopback address without a token', async ({ kafka, redis, logger }) => {
    await expect(startTestAuthServer({ kafka, redis, logger }, { AUTH_SERVER_HOST: '0.0.0.0' })).rejects.toBeInstanceOf(
      ConfigError,
    );
  });

  test('with AUTH_SERVER_TOKEN every call but /healthz needs Keywatch-Auth-Token', async ({ kafka, redis, logger }) => {
    // The key service creates the test's topics; the server's lifecycle consumer needs them.
    const ks = await startTestKeyService({ kafka, redis, logger });
    const server = await startTestAuthServer({ kafka, redis, logger }, { AUTH_SERVER_TOKEN: TOKEN });
    try {
      const call = async (path: string, headers: Record<string, string>, body?: unknown) =>
        (
          await fetch(new URL(path, server.url), {
            method: body === undefined ? 'GET' : 'POST',
            headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
            body: body === undefined ? undefined : JSON.stringify(body),
          })
        ).status;
      expect(await call('/healthz', {})).toBe(200);
      for (const headers of [
        {} as Record<string, string>,
        { 'keywatch-auth-token': 'wrong' },
        { 'keywatch-auth-token': `${TOKEN}x` },
        { 'keywatch-auth-token': TOKEN.slice(0, -1) },
      ]) {
        expect(await call('/v1/verify', headers, { key: '' })).toBe(401);
        expect(await call('/v1/forward-auth/v1/bundles', headers)).toBe(401);
        expect(await call('/metrics', headers)).toBe(401);
      }
      expect(await call('/v1/verify', { 'keywatch-auth-token': TOKEN }, { key: '' })).toBe(200);
      expect(await call('/v1/forward-auth/v1/bundles', { 'keywatch-auth-token': TOKEN })).toBe(401);
      expect(await call('/metrics', { 'keywatch-auth-token': TOKEN })).toBe(200);
    } finally {
      await server.close();
      await ks.close();
    }
  });

  test('oversized, duplicated and injected headers, bodies, unknown methods, keys in URLs and a flood of unknown keys: clean 4xx, no key in any log line', async ({
    kafka,
    redis,
  }) => {
    const lines: string[] = [];
    const logger = createLogger({
      name: 'auth-server-log-test',
      level: 'trace',
      destination: { write: (chunk: string) => void lines.push(...chunk.split('\n').filter(Boolean)) },
    });
    const ks = await startTestKeyService({ kafka, redis, logger });
    const server = await startTestAuthServer({ kafka, redis, logger });
    const statuses: number[] = [];
    const keys: string[] = [ks.rootKey];
    const fa = async (init: { method?: string; headers?: Record<string, string>; body?: string; path?: string }) => {
      const response = await fetch(new URL(init.path ?? '/v1/forward-auth', server.url), {
        method: init.method ?? 'GET',
        headers: init.headers,
        body: init.body,
      });
      await response.arrayBuffer();
      statuses.push(response.status);
      return response;
    };
    const verify = async (body: string, contentType = 'application/json') => {
      const response = await fetch(new URL('/v1/verify', server.url), {
        method: 'POST',
        headers: { 'content-type': contentType },
        body,
      });
      const answer = (await response.json()) as { error?: { code: string; field?: string }; outcome?: string };
      statuses.push(response.status);
      return { status: response.status, field: answer.error?.field, outcome: answer.outcome };
    };
    try {
      const good = await ks.createKey({
        tenant_id: 'tenant_as_hostile',
        type: 'secret',
        environment: 'live',
        name: 'good',
        scopes: ['subscriptions:read'],
      });
      keys.push(good.secret);
      expect(
        (await fa({ headers: { authorization: `Bearer ${good.secret}`, 'x-forwarded-uri': '/v1/subscriptions' } }))
          .status,
      ).toBe(200);

      // Keys in the URL: refused, in both places a proxy may put the original URI.
      expect((await fa({ path: `/v1/forward-auth/v1/subscriptions?api_key=${good.secret}` })).status).toBe(400);
      expect(
        (
          await fa({
            headers: {
              authorization: `Bearer ${good.secret}`,
              'x-forwarded-uri': `/v1/subscriptions?q=${good.secret}`,
            },
          })
        ).status,
      ).toBe(400);
      const nginxQuery = await fa({
        headers: { 'x-original-uri': `/v1/subscriptions?key=${good.secret}`, 'x-keywatch-auth-mode': 'nginx' },
      });
      expect([nginxQuery.status, nginxQuery.headers.get('x-keywatch-status')]).toEqual([403, '400']);

      // Oversized and duplicated headers, injection attempts, bodies, unknown methods.
      expect(
        (
          await raw(
            server.url,
            `GET /v1/forward-auth HTTP/1.1\r\nHost: x\r\nX-Api-Key: ${good.secret}\r\nX-Pad: ${'a'.repeat(20_000)}\r\n\r\n`,
          )
        ).status,
      ).toBe(431);
      const twice = await raw(
        server.url,
        `GET /v1/forward-auth/v1/subscriptions HTTP/1.1\r\nHost: x\r\nX-Api-Key: ${good.secret}\r\nX-Api-Key: ${good.secret}\r\nConnection: close\r\n\r\n`,
      );
      expect(twice.status).toBe(401);
      const duplicateAuth = await raw(
        server.url,
        `GET /v1/forward-auth/v1/subscriptions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk_live_bad\r\nAuthorization: Bearer ${good.secret}\r\nConnection: close\r\n\r\n`,
      );
      expect(duplicateAuth.status, 'the first Authorization counts, not a later smuggled one').toBe(401);
      const injected = await raw(
        server.url,
        `GET /v1/forward-auth HTTP/1.1\r\nHost: x\r\nX-Forwarded-Uri: /v1/subscriptions\rX-Keywatch-Key-Id: key_forged\r\nConnection: close\r\n\r\n`,
      );
      expect(injected.status).toBe(400);
      expect(injected.head.toLowerCase()).not.toContain('key_forged');
      const encoded = await fa({
        headers: {
          authorization: `Bearer ${good.secret}`,
          'x-forwarded-uri': '/v1/subscriptions%0d%0aX-Keywatch-Key-Id:%20key_forged',
        },
      });
      expect(encoded.status).toBe(404);
      expect(encoded.headers.get('x-keywatch-key-id')).toBeNull();
      expect((await fa({ headers: { 'x-forwarded-method': 'G E T' } })).status).toBe(400);
      expect((await fa({ headers: { 'x-forwarded-uri': 'http://evil.example/' } })).status).toBe(400);
      expect(
        (await fa({ headers: { 'x-keywatch-gateway-id': 'bad name\u0001' } }).catch(() => ({ status: 400 }))).status,
      ).toBe(400);
      expect(
        (
          await fa({
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-forwarded-uri': '/v1/subscriptions' },
            body: JSON.stringify({ key: good.secret }),
          })
        ).status,
      ).toBe(401);
      expect(
        (
          await fa({
            method: 'PUT',
            headers: { 'content-type': 'application/octet-stream' },
            body: 'x'.repeat(2 * 1024 * 1024),
          })
        ).status,
      ).toBe(401);
      expect((await raw(server.url, 'FOO /v1/forward-auth HTTP/1.1\r\nHost: x\r\n\r\n')).status).toBe(400);
      expect(
        (
          await fa({
            method: 'PATCH',
            headers: {
              'x-forwarded-method': 'PROPFIND',
              'x-api-key': good.secret,
              'x-forwarded-uri': '/v1/subscriptions',
            },
          })
        ).status,
      ).toBe(404);

      // Bad verify bodies: 400 naming the field (or 415 for another media type); a bad key is not one.
      expect(await verify('{"key":')).toMatchObject({ status: 400, field: 'body' });
      expect(await verify(JSON.stringify({ key: 1 }))).toMatchObject({ status: 400, field: 'key' });
      expect(await verify(JSON.stringify({}))).toMatchObject({ status: 400, field: 'key' });
      expect(await verify(JSON.stringify({ key: good.secret, scopes: 'payments:write' }))).toMatchObject({
        status: 400,
        field: 'scopes',
      });
      expect(await verify(JSON.stringify({ key: good.secret, scope: 'everything' }))).toMatchObject({
        status: 400,
        field: 'scope',
      });
      expect(await verify(JSON.stringify({ key: good.secret, method: 'GET' }))).toMatchObject({
        status: 400,
        field: 'route',
      });
      expect(await verify(JSON.stringify({ key: good.secret, ip: '999.1.1.1' }))).toMatchObject({
        status: 400,
        field: 'ip',
      });
      expect(await verify(JSON.stringify({ key: good.secret, gateway_id: 'a b' }))).toMatchObject({
        status: 400,
        field: 'gateway_id',
      });
      expect((await verify(`key=${good.secret}`, 'application/x-www-form-urlencoded')).status).toBe(415);
      expect((await verify(JSON.stringify({ key: 'x'.repeat(20_000) }))).status).toBe(413);
      expect(await verify(JSON.stringify({ key: `${good.secret}\r\nx` }))).toMatchObject({
        status: 200,
        outcome: 'malformed_key',
      });

      // A flood of unknown keys: every one a clean 401.
      const unknown = Array.from({ length: 300 }, () => generateKey({ type: 'secret', environment: 'live' }));
      keys.push(...unknown.slice(0, 20));
      for (let i = 0; i < unknown.length; i += 50) {
        const batch = await Promise.all(
          unknown
            .slice(i, i + 50)
            .map((key) => fa({ headers: { 'x-api-key': key, 'x-forwarded-uri': '/v1/subscriptions' } })),
        );
        expect(batch.every((r) => r.status === 401)).toBe(true);
      }
      expect(statuses.filter((s) => s >= 500)).toEqual([]);
      expect((await fetch(new URL('/healthz', server.url))).status).toBe(200);
    } finally {
      await server.close();
      await ks.close();
    }
    expect(lines.length, 'trace logging produced lines to check').toBeGreaterThan(10);
    for (const key of keys) {
      const body = key.slice(key.indexOf('_', 3) + 1);
      expect(
        lines.filter((line) => line.includes(key) || line.includes(body)),
        `lines containing a key ending ${key.slice(-4)}`,
      ).toEqual([]);
    }
  });
});
