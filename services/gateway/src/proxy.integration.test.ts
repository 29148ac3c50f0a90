import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AuthEvent } from '@keywatch/contracts';
import { collectMessages, describe, expect, test } from '@keywatch/testkit';
import { startTestKeyService } from '@keywatch/key-service/testing';
import { pollUntil, startTestGateway } from './testing.js';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

describe('reference gateway proxy', () => {
  test('forwards allowed requests without the credential, passes the answer back, exposes metrics and flushes events on close', async ({
    kafka,
    redis,
    logger,
  }) => {
    const seen: Seen[] = [];
    const upstream = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        seen.push({
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString(),
        });
        res
          .writeHead(202, { 'content-type': 'application/json', 'x-upstream': 'yes', connection: 'keep-alive' })
          .end('{"accepted":true}');
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const ks = await startTestKeyService({ kafka, redis, logger });
    const gateway = await startTestGateway(
      { kafka, redis, logger },
      { GATEWAY_UPSTREAM_URL: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/api` },
    );
    let closed = false;
    try {
      const key = await ks.createKey({
        tenant_id: 'tenant_gw_proxy',
        type: 'secret',
        environment: 'live',
        name: 'proxy',
        scopes: ['payments:write'],
      });
      const response = await fetch(new URL('/v1/payments?idempotency=abc', gateway.url), {
        method: 'POST',
        headers: {
          authorization: `Bearer ${key.secret}`,
          'x-api-key': key.secret,
          'content-type': 'application/json',
          'x-keywatch-key-id': 'key_forged_by_client_000000',
          'x-forwarded-for': '203.0.113.50',
        },
        body: JSON.stringify({ amount: 500 }),
      });
      expect(response.status).toBe(202);
      expect(await response.json()).toEqual({ accepted: true });
      expect(response.headers.get('x-upstream')).toBe('yes');
      const requestId = response.headers.get('x-request-id')!;

      expect(seen).toHaveLength(1);
      const forwarded = seen[0]!;
      expect(forwarded).toMatchObject({
        method: 'POST',
        url: '/api/v1/payments?idempotency=abc',
        body: '{"amount":500}',
      });
      expect(forwarded.headers.authorization).toBeUndefined();
      expect(forwarded.headers['x-api-key']).toBeUndefined();
      expect(JSON.stringify(forwarded)).not.toContain(key.secret);
      expect(forwarded.headers).toMatchObject({
        'x-keywatch-key-id': key.id,
        'x-keywatch-tenant-id': 'tenant_gw_proxy',
        'x-keywatch-scope': 'payments:write',
        'x-request-id': requestId,
        'content-type': 'application/json',
      });
      expect(forwarded.headers['x-forwarded-for']).toMatch(/^203\.0\.113\.50, /);

      // Last use is recorded (throttled: at most once a minute per key per gateway).
      const lastUsed = async () =>
        (await ks.call<{ key: { last_used_at: string | null } }>('GET', `/v1/keys/${key.id}`, ks.rootKey)).body.key
          .last_used_at;
      expect(await pollUntil(async () => (await lastUsed()) !== null, 5000, 20)).toBe(true);

      // Refused requests never reach the upstream, and their bodies are not read.
      expect(
        (await fetch(new URL('/v1/payments', gateway.url), { method: 'POST', body: 'x'.repeat(10_000) })).status,
      ).toBe(401);
      expect(seen).toHaveLength(1);

      // A CORS preflight carries no key: answered by the gateway, not forwarded, not an auth event.
      const preflight = await fetch(new URL('/v1/payments', gateway.url), {
        method: 'OPTIONS',
        headers: {
          origin: 'https://app.example.com',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization',
        },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
      expect(seen).toHaveLength(1);

      const metrics = await (await fetch(new URL('/metrics', gateway.url))).text();
      expect(metrics).toContain('keywatch_gateway_requests_total{outcome="allowed",status="202"} 1');
      expect(metrics).toContain('keywatch_gateway_requests_total{outcome="missing_key",status="401"} 1');
      expect(metrics).toMatch(/keywatch_gateway_cache_misses_total [1-9]/);
      expect(metrics).toMatch(/keywatch_gateway_auth_events_emitted_total [1-9]/);

      await gateway.close();
      closed = true;
      const messages = await collectMessages<AuthEvent>(
        kafka.kafka,
        kafka.topics.authEvents,
        (all) => all.filter((m) => m.value?.gateway_id === gateway.gatewayId).length >= 2,
      );
      const mine = messages.filter((m) => m.value?.gateway_id === gateway.gatewayId).map((m) => m.value!);
      expect(mine.map((e) => [e.outcome, e.status]).sort()).toEqual([
        ['allowed', 202],
        ['missing_key', 401],
      ]);
      expect(mine.find((e) => e.request_id === requestId)).toMatchObject({
        ip: '203.0.113.50',
        route: '/v1/payments',
        scope: 'payments:write',
        key_id: key.id,
      });
    } finally {
      if (!closed) await gateway.close();
      await ks.close();
      await new Promise((resolve) => upstream.close(resolve));
    }
  });

  test('passes answers of every size and shape through unchanged: one piece, large, of unknown length, empty, HEAD', async ({
    kafka,
    redis,
    logger,
  }) => {
    const large = Buffer.alloc(300 * 1024, 'ab');
    const upstream = http.createServer((req, res) => {
      if (req.url?.endsWith('?shape=big')) {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': large.length }).end(large);
      } else if (req.url?.endsWith('?shape=chunked')) {
        // No content-length: written in pieces, with pauses, so the gateway must stream it.
        res.writeHead(200, { 'content-type': 'text/plain' });
        let sent = 0;
        const more = () => {
          if (sent >= 5) return res.end('end');
          sent += 1;
          res.write(`piece ${sent}\n`);
          setTimeout(more, 10);
        };
        more();
      } else if (req.url?.endsWith('?shape=empty')) {
        res.writeHead(204).end();
      } else {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': 11 }).end('{"ok":true}');
      }
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const ks = await startTestKeyService({ kafka, redis, logger });
    const gateway = await startTestGateway(
      { kafka, redis, logger },
      { GATEWAY_UPSTREAM_URL: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}` },
    );
    try {
      const key = await ks.createKey({
        tenant_id: 'tenant_gw_proxy_stream',
        type: 'secret',
        environment: 'live',
        name: 'proxy-stream',
        scopes: ['subscriptions:read'],
      });
      const get = (path: string, method = 'GET') =>
        fetch(new URL(path, gateway.url), { method, headers: { authorization: `Bearer ${key.secret}` } });

      const small = await get('/v1/subscriptions');
      expect(small.status).toBe(200);
      expect(small.headers.get('content-length')).toBe('11');
      expect(await small.text()).toBe('{"ok":true}');

      const big = await get('/v1/subscriptions?shape=big');
      expect(big.headers.get('content-length')).toBe(String(large.length));
      expect(Buffer.from(await big.arrayBuffer()).equals(large)).toBe(true);

      const chunked = await get('/v1/subscriptions?shape=chunked');
      expect(chunked.headers.get('transfer-encoding')).toBe('chunked');
      expect(await chunked.text()).toBe('piece 1\npiece 2\npiece 3\npiece 4\npiece 5\nend');

      const empty = await get('/v1/subscriptions?shape=empty');
      expect(empty.status).toBe(204);
      expect(await empty.text()).toBe('');

      const head = await get('/v1/subscriptions', 'HEAD');
      expect(head.status).toBe(200);
      expect(await head.text()).toBe('');
    } finally {
      await gateway.close();
      await ks.close();
      await new Promise((resolve) => upstream.close(resolve));
    }
  });
});
