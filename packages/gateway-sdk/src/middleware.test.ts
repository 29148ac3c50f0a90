import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AuthEvent } from '@keywatch/contracts';
import { createLogger } from '@keywatch/logger';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { createKeywatch } from './keywatch.js';
import { keywatchFastify, keywatchMiddleware, type KeywatchIncomingMessage } from './middleware.js';
import { InMemoryKeyLookup, InMemoryRateLimiter, testKey } from './testing.js';

function pipeline() {
  const store = new InMemoryKeyLookup();
  const events: AuthEvent[] = [];
  const keywatch = createKeywatch({
    gatewayId: 'unit-gw',
    environment: 'live',
    routes: [
      { method: 'GET', route: '/v1/customers/:id', scope: 'customers:read' },
      { method: 'GET', route: '/v1/bundles', scope: 'bundles:read' },
    ],
    store,
    limiter: new InMemoryRateLimiter(),
    fingerprintSecret: 'unit-test-fingerprint-secret',
    logger: createLogger({ name: 'mw-test', level: 'silent' }),
    emit: (event) => events.push(event),
  });
  const key = testKey({ rate_limit: { limit: 5, window_s: 60 } });
  store.add(key.hash, key.record);
  return { keywatch, events, key };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i += 1) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('node:http / Express middleware', () => {
  it('answers refusals itself, passes allowed requests on, and emits one event per request after the response', async () => {
    const { keywatch, events, key } = pipeline();
    const middleware = keywatchMiddleware({ keywatch });
    const server = http.createServer((req: KeywatchIncomingMessage, res) =>
      middleware(req, res, () => {
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ key_id: req.keywatchAuth?.key?.id }));
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const ok = await fetch(`${base}/v1/customers/cus_1`, { headers: { authorization: `Bearer ${key.secret}` } });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ key_id: key.record.id });
      expect(ok.headers.get('ratelimit-remaining')).toBe('4');
      const missing = await fetch(`${base}/v1/customers/cus_1`);
      expect(missing.status).toBe(401);
      expect(await missing.json()).toEqual({ error: { code: 'missing_key', message: expect.any(String) } });
      const unmatched = await fetch(`${base}/internal/admin`, { headers: { 'x-api-key': key.secret } });
      expect(unmatched.status).toBe(404);
      await until(() => events.length === 3);
      expect(events.map((e) => [e.outcome, e.status, e.route, e.scope])).toEqual([
        ['allowed', 200, '/v1/customers/:id', 'customers:read'],
        ['missing_key', 401, '/v1/customers/:id', 'customers:read'],
        ['allowed', 404, '/*', null],
      ]);
      expect(events[0]).toMatchObject({
        v: 1,
        gateway_id: 'unit-gw',
        key_id: key.record.id,
        tenant_id: 'tenant_unit',
        ip: '127.0.0.1',
        rate_limit: { limit: 5, remaining: 4, window_s: 60 },
      });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('Fastify plugin', () => {
  it('uses a route’s own scope, skips routes marked keywatch: false, and falls back to the table', async () => {
    const { keywatch, events, key } = pipeline();
    const app = Fastify();
    await app.register(keywatchFastify, { keywatch });
    app.get('/healthz', { config: { keywatch: false } }, async () => ({ ok: true }));
    app.get('/v2/reports/:id', { config: { keywatch: { scope: 'analytics:read' } } }, async () => ({ report: true }));
    app.get('/v1/customers/:id', async (request) => ({ key: request.keywatchAuth?.key?.id }));
    try {
      expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
      const denied = await app.inject({ url: '/v2/reports/r1', headers: { authorization: `Bearer ${key.secret}` } });
      expect(denied.statusCode).toBe(403);
      expect(denied.json()).toMatchObject({ error: { code: 'insufficient_scope' } });
      const allowed = await app.inject({ url: '/v1/customers/c1', headers: { authorization: `Bearer ${key.secret}` } });
      expect(allowed.json()).toEqual({ key: key.record.id });
      expect(allowed.headers['ratelimit-limit']).toBe('5');
      await until(() => events.length === 2);
      expect(events.map((e) => [e.outcome, e.status, e.route, e.scope])).toEqual([
        ['insufficient_scope', 403, '/v2/reports/:id', 'analytics:read'],
        ['allowed', 200, '/v1/customers/:id', 'customers:read'],
      ]);
    } finally {
      await app.close();
    }
  });
});
