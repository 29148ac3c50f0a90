import { expect, test } from '@keywatch/testkit';
import { createLogger } from '@keywatch/logger';
import { createRedis, type Redis } from '@keywatch/redis';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { createRedisSessionStore } from './sessions.js';
import { createRedisSignInGuard } from './signin-guard.js';
import type { Upstream } from './upstream.js';

const ORIGIN = 'http://console.test';
const KEY = 'sk_live_sharedsharedsharedshared0001';
const capabilities = { analytics: true, audit: true, manage: true, webhooks: false };

/** A key service and analytics API that know one key, which the test can revoke. */
function fakeUpstream() {
  const state = { revoked: false, calls: [] as Array<{ path: string; key: string }> };
  const upstream: Upstream = {
    call(_target, { path, key }) {
      state.calls.push({ path, key });
      if (key !== KEY || state.revoked) return Promise.resolve({ status: 401, body: { error: { code: 'revoked' } } });
      if (path.startsWith('/v1/webhooks')) return Promise.resolve({ status: 403, body: {} });
      return Promise.resolve({ status: 200, body: { tenant_id: 'tenant_a', keys: [], alerts: [] } });
    },
  };
  return { upstream, state };
}

/** One console instance with its own Redis connection, as a second process behind a load balancer would have. */
function instance(url: string, prefix: string, upstream: Upstream): { app: FastifyInstance; redis: Redis } {
  const redis = createRedis({ url, keyPrefix: prefix });
  const app = buildApp({
    sessions: createRedisSessionStore({ redis, ttlMs: 60_000 }),
    signInGuard: createRedisSignInGuard(redis),
    upstream,
    logger: createLogger({ name: 'console-test', level: 'silent' }),
    sessionTtlMs: 60_000,
    publicUrl: ORIGIN,
  });
  return { app, redis };
}

const json = { origin: ORIGIN, 'content-type': 'application/json' };
const cookieOf = (response: { cookies: Array<{ name: string; value: string }> }) => {
  const cookie = response.cookies.find((c) => c.name === 'kw_session');
  if (!cookie) throw new Error('no session cookie');
  return { header: `kw_session=${cookie.value}`, id: cookie.value };
};

test('Redis holds no usable key: the record is named by a hash of the session id and the key is sealed under it', async ({
  redis,
}) => {
  const store = createRedisSessionStore({ redis: redis.client, ttlMs: 60_000 });
  const session = await store.create({ key: KEY, tenantId: 'tenant_a', capabilities });
  const raw = createRedis({ url: redis.url, keyPrefix: '' });
  try {
    const names = await raw.keys(`${redis.prefix}*`);
    expect(names).toHaveLength(1);
    expect(names[0]).toMatch(new RegExp(`^${redis.prefix.replace(/[.]/g, '\\.')}console:session:[0-9a-f]{64}$`));
    expect(names[0]).not.toContain(session.id);
    const value = (await raw.get(names[0]!)) ?? '';
    expect(value).not.toContain(KEY);
    expect(value).not.toContain(session.id);
    expect(JSON.parse(value)).toMatchObject({ tenant_id: 'tenant_a', capabilities });
    const ttl = await raw.pttl(names[0]!);
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);

    // Copying the record under another session's name does not give that session the key.
    const other = await store.create({ key: 'sk_live_otherotherotherother00002', tenantId: 'tenant_b', capabilities });
    const otherName = (await raw.keys(`${redis.prefix}*`)).find((n) => n !== names[0])!;
    await raw.set(otherName, value, 'PX', 60_000);
    expect(await store.touch(other.id)).toBeNull();
  } finally {
    raw.disconnect();
  }
  expect(await store.touch(session.id)).toMatchObject({ key: KEY, tenantId: 'tenant_a', capabilities });
  expect(await store.touch('forged-session-id')).toBeNull();
  await store.delete(session.id);
  expect(await store.touch(session.id)).toBeNull();
});

test('each use renews the session in Redis (sliding), and an idle one expires', async ({ redis }) => {
  const store = createRedisSessionStore({ redis: redis.client, ttlMs: 400 });
  const session = await store.create({ key: KEY, tenantId: 'tenant_a', capabilities });
  for (let i = 0; i < 3; i += 1) {
    await new Promise((r) => setTimeout(r, 250));
    expect(await store.touch(session.id)).not.toBeNull();
  }
  await new Promise((r) => setTimeout(r, 600));
  expect(await store.touch(session.id)).toBeNull();
});

test('two console instances share sessions: sign in on one, work and sign out on the other', async ({ redis }) => {
  const { upstream, state } = fakeUpstream();
  const a = instance(redis.url, redis.prefix, upstream);
  const b = instance(redis.url, redis.prefix, upstream);
  try {
    const signIn = await a.app.inject({ method: 'POST', url: '/session', headers: json, payload: { key: KEY } });
    expect(signIn.statusCode).toBe(201);
    const cookie = cookieOf(signIn).header;

    const onB = await b.app.inject({ method: 'GET', url: '/session', headers: { cookie } });
    expect(onB.json()).toMatchObject({ session: { tenant_id: 'tenant_a', capabilities: { manage: true } } });
    const alerts = await b.app.inject({ method: 'GET', url: '/api/alerts?status=open', headers: { cookie } });
    expect(alerts.statusCode).toBe(200);
    expect(alerts.body).not.toContain(KEY);
    expect(state.calls.at(-1)).toEqual({ path: '/v1/alerts?status=open', key: KEY });

    const out = await b.app.inject({ method: 'DELETE', url: '/session', headers: { cookie, origin: ORIGIN } });
    expect(out.statusCode).toBe(204);
    expect((await a.app.inject({ method: 'GET', url: '/api/alerts', headers: { cookie } })).statusCode).toBe(401);

    // A key that stops working ends its session on every instance.
    const again = cookieOf(
      await b.app.inject({ method: 'POST', url: '/session', headers: json, payload: { key: KEY } }),
    ).header;
    state.revoked = true;
    expect((await a.app.inject({ method: 'GET', url: '/api/alerts', headers: { cookie: again } })).statusCode).toBe(
      401,
    );
    state.revoked = false;
    expect((await b.app.inject({ method: 'GET', url: '/session', headers: { cookie: again } })).json()).toEqual({
      session: null,
    });
  } finally {
    await a.app.close();
    await b.app.close();
    a.redis.disconnect();
    b.redis.disconnect();
  }
});

test('failed sign-ins are counted across instances: 20 in all, then 429 on both', async ({ redis }) => {
  const { upstream } = fakeUpstream();
  const a = instance(redis.url, redis.prefix, upstream);
  const b = instance(redis.url, redis.prefix, upstream);
  try {
    for (let i = 0; i < 20; i += 1) {
      const app = i % 2 === 0 ? a.app : b.app;
      const response = await app.inject({
        method: 'POST',
        url: '/session',
        headers: json,
        payload: { key: 'sk_live_wrongwrongwrongwrong00009' },
      });
      expect(response.statusCode).toBe(401);
    }
    for (const app of [a.app, b.app])
      expect(
        (await app.inject({ method: 'POST', url: '/session', headers: json, payload: { key: KEY } })).statusCode,
      ).toBe(429);
  } finally {
    await a.app.close();
    await b.app.close();
    a.redis.disconnect();
    b.redis.disconnect();
  }
});
