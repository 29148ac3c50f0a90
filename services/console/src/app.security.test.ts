import { createLogger } from '@keywatch/logger';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, test } from 'vitest';
import { buildApp } from './app.js';
import { createMemorySessionStore, type SessionStore } from './sessions.js';
import { UpstreamUnavailable, type Upstream, type UpstreamName } from './upstream.js';

const ORIGIN = 'http://console.test';
const GOOD_KEY = 'sk_live_goodgoodgoodgoodgoodgood0001';
const READ_ONLY_KEY = 'sk_live_readreadreadreadreadread0002';
const NO_SCOPE_KEY = 'sk_live_nonenonenonenonenonenone0003';
const ROOT_KEY = 'sk_live_rootrootrootrootrootroot0004';

interface Call {
  target: UpstreamName;
  method: string;
  path: string;
  key: string;
  body?: unknown;
}

/** The key service and analytics API in memory: which key may do what, and a log of the calls. */
function fakeUpstream() {
  const calls: Call[] = [];
  const revoked = new Set<string>();
  const upstream: Upstream = {
    async call(target, request) {
      calls.push({ target, ...request });
      const { key, path } = request;
      if (revoked.has(key) || ![GOOD_KEY, READ_ONLY_KEY, NO_SCOPE_KEY, ROOT_KEY].includes(key))
        return { status: 401, body: { error: { code: 'unknown_key' } } };
      if (key === ROOT_KEY)
        return target === 'analytics'
          ? { status: 400, body: { error: { code: 'invalid_request', field: 'tenant_id' } } }
          : { status: 200, body: { entries: [], keys: [] } };
      if (key === NO_SCOPE_KEY) return { status: 403, body: { error: { code: 'insufficient_scope' } } };
      if (target === 'keys' && key === READ_ONLY_KEY)
        return { status: 403, body: { error: { code: 'insufficient_scope' } } };
      if (path.startsWith('/v1/analytics/keys')) return { status: 200, body: { tenant_id: 'tenant_a', keys: [] } };
      return { status: 200, body: { echo: request } };
    },
  };
  return { upstream, calls, revoked };
}

let app: FastifyInstance | undefined;
let sessions: SessionStore | undefined;
afterEach(async () => {
  await app?.close();
  sessions?.close();
});

function setup(options: { publicUrl?: string; ttlMs?: number } = {}) {
  let now = Date.parse('2026-11-28T10:00:00Z');
  const fake = fakeUpstream();
  const ttlMs = options.ttlMs ?? 30 * 60_000;
  sessions = createMemorySessionStore({ ttlMs, now: () => now });
  app = buildApp({
    sessions,
    upstream: fake.upstream,
    logger: createLogger({ name: 'console-test', level: 'silent' }),
    sessionTtlMs: ttlMs,
    publicUrl: options.publicUrl ?? ORIGIN,
    now: () => now,
  });
  return { app, fake, advance: (ms: number) => (now += ms) };
}

async function signIn(server: FastifyInstance, key = GOOD_KEY, origin = ORIGIN) {
  return server.inject({
    method: 'POST',
    url: '/session',
    headers: { origin, 'content-type': 'application/json' },
    payload: { key },
  });
}

function cookieOf(response: { cookies: Array<{ name: string; value: string }> }): string {
  const cookie = response.cookies.find((c) => c.name.endsWith('kw_session'));
  if (!cookie) throw new Error('no session cookie');
  return `${cookie.name}=${cookie.value}`;
}

describe('sign-in', () => {
  test('exchanges a key for an HttpOnly, SameSite=Strict session cookie and never echoes the key', async () => {
    const { app } = setup();
    const response = await signIn(app);
    expect(response.statusCode).toBe(201);
    expect(response.body).not.toContain(GOOD_KEY);
    const cookie = response.cookies.find((c) => c.name === 'kw_session')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/', maxAge: 1800 });
    expect(cookie.value).not.toContain(GOOD_KEY);
    expect(cookie.value.length).toBeGreaterThanOrEqual(43);
    expect(response.json()).toMatchObject({
      session: {
        tenant_id: 'tenant_a',
        capabilities: { analytics: true, audit: true, manage: true, webhooks: true },
      },
    });
    const me = await app.inject({ method: 'GET', url: '/session', headers: { cookie: cookieOf(response) } });
    expect(me.statusCode).toBe(200);
    expect(me.body).not.toContain(GOOD_KEY);
  });

  test('over https the cookie is Secure and __Host- prefixed', async () => {
    const { app } = setup({ publicUrl: 'https://console.example.com' });
    const response = await signIn(app, GOOD_KEY, 'https://console.example.com');
    expect(response.statusCode).toBe(201);
    expect(response.cookies[0]).toMatchObject({
      name: '__Host-kw_session',
      secure: true,
      httpOnly: true,
      sameSite: 'Strict',
    });
  });

  test('records what the key may do: a key without keys:manage gets no key actions', async () => {
    const { app } = setup();
    const response = await signIn(app, READ_ONLY_KEY);
    expect(response.json()).toMatchObject({
      session: { capabilities: { analytics: true, audit: false, manage: false, webhooks: false } },
    });
  });

  test('refuses unknown keys, keys without analytics:read or audit:read, the root key and junk, setting no cookie', async () => {
    const { app } = setup();
    const cases: Array<[string, number, string]> = [
      ['sk_live_unknownunknownunknown00005', 401, 'invalid_key'],
      [NO_SCOPE_KEY, 403, 'insufficient_scope'],
      [ROOT_KEY, 400, 'tenant_key_required'],
      ['not a key', 400, 'invalid_request'],
    ];
    for (const [key, status, code] of cases) {
      const response = await signIn(app, key);
      expect([response.statusCode, response.json<{ error: { code: string } }>().error.code]).toEqual([status, code]);
      expect(response.cookies).toEqual([]);
    }
  });

  test('stops trying after 20 failed sign-ins from one address', async () => {
    const { app } = setup();
    for (let i = 0; i < 20; i += 1)
      expect((await signIn(app, 'sk_live_unknownunknownunknown00005')).statusCode).toBe(401);
    const response = await signIn(app, GOOD_KEY);
    expect(response.statusCode).toBe(429);
  });
});

describe('CSRF', () => {
  test('unsafe requests need the console origin in Origin and a JSON body', async () => {
    const { app, fake } = setup();
    const missing = await app.inject({
      method: 'POST',
      url: '/session',
      headers: { 'content-type': 'application/json' },
      payload: { key: GOOD_KEY },
    });
    expect([missing.statusCode, missing.json<{ error: { code: string } }>().error.code]).toEqual([
      403,
      'cross_site_request',
    ]);
    expect((await signIn(app, GOOD_KEY, 'https://evil.example')).statusCode).toBe(403);
    const form = await app.inject({
      method: 'POST',
      url: '/session',
      headers: { origin: ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
      payload: `key=${GOOD_KEY}`,
    });
    expect(form.statusCode).toBe(403);
    expect(fake.calls).toEqual([]);

    const cookie = cookieOf(await signIn(app));
    const before = fake.calls.length;
    const revoke = await app.inject({
      method: 'POST',
      url: '/api/keys/key_abcdefghijklmnopqrstu/revoke',
      headers: { cookie, origin: 'https://evil.example', 'content-type': 'application/json' },
      payload: {},
    });
    expect(revoke.statusCode).toBe(403);
    const signOut = await app.inject({
      method: 'DELETE',
      url: '/session',
      headers: { cookie, origin: 'https://evil.example' },
    });
    expect(signOut.statusCode).toBe(403);
    expect(fake.calls.length).toBe(before);
  });

  test('reads (GET) need no Origin', async () => {
    const { app } = setup();
    const cookie = cookieOf(await signIn(app));
    expect((await app.inject({ method: 'GET', url: '/api/alerts', headers: { cookie } })).statusCode).toBe(200);
  });
});

describe('proxy', () => {
  test('adds the session key server-side and passes the query string on', async () => {
    const { app, fake } = setup();
    const cookie = cookieOf(await signIn(app));
    const response = await app.inject({
      method: 'GET',
      url: '/api/alerts?status=open&severity=high',
      headers: { cookie },
    });
    expect(response.statusCode).toBe(200);
    expect(fake.calls.at(-1)).toEqual({
      target: 'analytics',
      method: 'GET',
      path: '/v1/alerts?status=open&severity=high',
      key: GOOD_KEY,
      body: undefined,
    });
    await app.inject({ method: 'GET', url: '/api/audit?key_id=key_x', headers: { cookie } });
    expect(fake.calls.at(-1)).toMatchObject({ target: 'keys', path: '/v1/audit?key_id=key_x' });
  });

  test('passes only the allowed body fields of actions', async () => {
    const { app, fake } = setup();
    const cookie = cookieOf(await signIn(app));
    const response = await app.inject({
      method: 'POST',
      url: '/api/keys/key_abcdefghijklmnopqrstu/revoke',
      headers: { cookie, origin: ORIGIN, 'content-type': 'application/json' },
      payload: { reason: 'leaked', scopes: ['keys:manage'] },
    });
    expect(response.statusCode).toBe(200);
    expect(fake.calls.at(-1)).toEqual({
      target: 'keys',
      method: 'POST',
      path: '/v1/keys/key_abcdefghijklmnopqrstu/revoke',
      key: GOOD_KEY,
      body: { reason: 'leaked' },
    });
  });

  test('management calls pass on only their fields: no tenant_id, no unknown field reaches an upstream', async () => {
    const { app, fake } = setup();
    const cookie = cookieOf(await signIn(app));
    const json = { cookie, origin: ORIGIN, 'content-type': 'application/json' };
    const cases: Array<[string, string, Record<string, unknown>, UpstreamName, unknown]> = [
      [
        'POST',
        '/api/keys',
        { tenant_id: 'tenant_b', type: 'secret', environment: 'test', name: 'ci', scopes: ['bundles:read'] },
        'keys',
        { type: 'secret', environment: 'test', name: 'ci', scopes: ['bundles:read'] },
      ],
      [
        'PUT',
        '/api/policy',
        { tenant_id: 'tenant_b', mode: 'suspend', max_actions_per_hour: 3 },
        'keys',
        { mode: 'suspend', max_actions_per_hour: 3 },
      ],
      [
        'POST',
        '/api/webhooks',
        { url: 'https://hooks.example/x', kind: 'json', scope: 'platform', all_tenants: true },
        'keys',
        { url: 'https://hooks.example/x', kind: 'json' },
      ],
      [
        'POST',
        '/api/alerts/alr_1/dismiss',
        { reason: 'expected', suppress: { scope: 'ip', for_s: 3600 }, status: 'resolved' },
        'analytics',
        { reason: 'expected', suppress: { scope: 'ip', for_s: 3600 } },
      ],
      [
        'POST',
        '/api/suppressions',
        { key_id: 'key_1', expires_at: '2027-01-01T00:00:00Z', reason: 'vpn', tenant_id: 'tenant_b' },
        'analytics',
        { key_id: 'key_1', expires_at: '2027-01-01T00:00:00Z', reason: 'vpn' },
      ],
      [
        'PUT',
        '/api/trusted-networks',
        { cidrs: ['198.51.100.0/24'], tenant_id: 'x' },
        'analytics',
        {
          cidrs: ['198.51.100.0/24'],
        },
      ],
    ];
    for (const [method, url, payload, target, body] of cases) {
      const response = await app.inject({ method: method as 'POST', url, headers: json, payload });
      expect(response.statusCode, url).toBe(200);
      expect(fake.calls.at(-1), url).toEqual({ target, method, path: `/v1${url.slice(4)}`, key: GOOD_KEY, body });
    }
    const removed = await app.inject({
      method: 'DELETE',
      url: '/api/webhooks/wh_abcdefghijklmnopqrst',
      headers: { cookie, origin: ORIGIN },
    });
    expect(removed.statusCode).toBe(200);
    expect(fake.calls.at(-1)).toMatchObject({ method: 'DELETE', path: '/v1/webhooks/wh_abcdefghijklmnopqrst' });
  });

  test('changing an alert needs keys:manage; reading it audit:read', async () => {
    const { app, fake } = setup();
    const cookie = cookieOf(await signIn(app, READ_ONLY_KEY));
    const before = fake.calls.length;
    for (const action of ['ack', 'resolve', 'dismiss', 'confirm']) {
      const response = await app.inject({
        method: 'POST',
        url: `/api/alerts/alr_1/${action}`,
        headers: { cookie, origin: ORIGIN, 'content-type': 'application/json' },
        payload: {},
      });
      expect([action, response.statusCode]).toEqual([action, 403]);
    }
    expect(fake.calls.length).toBe(before);
  });

  test('serves nothing outside the allow-list and never calls out for it', async () => {
    const { app, fake } = setup();
    const cookie = cookieOf(await signIn(app));
    const before = fake.calls.length;
    const json = { cookie, origin: ORIGIN, 'content-type': 'application/json' };
    const attempts = [
      app.inject({ method: 'PUT', url: '/api/keys', headers: json, payload: { name: 'x' } }),
      app.inject({ method: 'DELETE', url: '/api/keys/key_abcdefghijklmnopqrstu', headers: { cookie, origin: ORIGIN } }),
      app.inject({ method: 'POST', url: '/api/policy', headers: json, payload: { mode: 'revoke' } }),
      app.inject({ method: 'GET', url: '/api/openapi.json', headers: { cookie } }),
      app.inject({ method: 'GET', url: '/api/keys/..%2F..%2Fpolicy', headers: { cookie } }),
      app.inject({
        method: 'POST',
        url: '/api/webhooks/wh_abcdefghijklmnopqrst/deliveries/..%2F..%2Fx/replay',
        headers: json,
        payload: {},
      }),
    ];
    const statuses = (await Promise.all(attempts)).map((r) => r.statusCode);
    expect(statuses.every((s) => s === 404 || s === 400)).toBe(true);
    expect(fake.calls.length).toBe(before);
  });

  test('refuses what the key cannot do before calling out', async () => {
    const { app, fake } = setup();
    const cookie = cookieOf(await signIn(app, READ_ONLY_KEY));
    const before = fake.calls.length;
    const response = await app.inject({ method: 'GET', url: '/api/audit', headers: { cookie } });
    expect([response.statusCode, response.json<{ error: { message: string } }>().error.message]).toEqual([
      403,
      'this needs a key with audit:read',
    ]);
    expect(fake.calls.length).toBe(before);
  });

  test('without a session every API route answers 401', async () => {
    const { app, fake } = setup();
    for (const url of ['/api/alerts', '/api/keys', '/api/analytics/keys']) {
      expect((await app.inject({ method: 'GET', url })).statusCode).toBe(401);
    }
    expect((await app.inject({ method: 'GET', url: '/session' })).json()).toEqual({ session: null });
    expect(
      (await app.inject({ method: 'GET', url: '/api/alerts', headers: { cookie: 'kw_session=forged' } })).statusCode,
    ).toBe(401);
    expect(fake.calls).toEqual([]);
  });

  test('a key that stops working ends its session', async () => {
    const { app, fake } = setup();
    const cookie = cookieOf(await signIn(app));
    fake.revoked.add(GOOD_KEY);
    const response = await app.inject({ method: 'GET', url: '/api/alerts', headers: { cookie } });
    expect([response.statusCode, response.json<{ error: { code: string } }>().error.code]).toEqual([401, 'signed_out']);
    fake.revoked.delete(GOOD_KEY);
    expect((await app.inject({ method: 'GET', url: '/api/alerts', headers: { cookie } })).statusCode).toBe(401);
  });
});

describe('session lifetime', () => {
  test('expires after the idle TTL, and each use renews it (sliding)', async () => {
    const { app, advance } = setup({ ttlMs: 60_000 });
    const cookie = cookieOf(await signIn(app));
    for (let i = 0; i < 3; i += 1) {
      advance(50_000);
      expect(
        (await app.inject({ method: 'GET', url: '/session', headers: { cookie } })).json<{ session: unknown }>()
          .session,
      ).not.toBeNull();
    }
    advance(61_000);
    expect((await app.inject({ method: 'GET', url: '/session', headers: { cookie } })).json()).toEqual({
      session: null,
    });
    expect((await app.inject({ method: 'GET', url: '/api/alerts', headers: { cookie } })).statusCode).toBe(401);
  });

  test('sign-out forgets the session on the server and clears the cookie', async () => {
    const { app } = setup();
    const cookie = cookieOf(await signIn(app));
    const out = await app.inject({ method: 'DELETE', url: '/session', headers: { cookie, origin: ORIGIN } });
    expect(out.statusCode).toBe(204);
    expect(out.cookies[0]).toMatchObject({ name: 'kw_session', value: '' });
    expect((await app.inject({ method: 'GET', url: '/api/alerts', headers: { cookie } })).statusCode).toBe(401);
  });
});

test('every answer carries the strict CSP and the other security headers, errors included', async () => {
  const { app } = setup();
  for (const response of [
    await app.inject({ method: 'GET', url: '/healthz' }),
    await app.inject({ method: 'GET', url: '/api/alerts' }),
    await signIn(app, GOOD_KEY, 'https://evil.example'),
  ]) {
    expect(response.headers['content-security-policy']).toContain("default-src 'self'");
    expect(response.headers['content-security-policy']).toContain("script-src 'self'");
    expect(response.headers['content-security-policy']).not.toContain('unsafe');
    expect(response.headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
    });
  }
});

test('no log line carries the key, whatever goes wrong upstream', async () => {
  const lines: string[] = [];
  const logger = createLogger({
    name: 'console-test',
    level: 'debug',
    destination: { write: (line: string) => void lines.push(line) },
  });
  let failure: 'down' | 'crash' = 'down';
  const upstream: Upstream = {
    async call(target, request) {
      if (request.path.includes('limit=1'))
        return { status: 200, body: { tenant_id: 'tenant_a', keys: [], entries: [] } };
      if (failure === 'down')
        throw new UpstreamUnavailable(target, new Error(`connect ECONNREFUSED while sending Bearer ${request.key}`));
      throw new Error(`unexpected answer for key ${request.key}`);
    },
  };
  sessions = createMemorySessionStore({ ttlMs: 60_000 });
  app = buildApp({ sessions, upstream, logger, sessionTtlMs: 60_000, publicUrl: ORIGIN });
  const cookie = cookieOf(await signIn(app));
  expect((await app.inject({ method: 'GET', url: '/api/alerts', headers: { cookie } })).statusCode).toBe(502);
  failure = 'crash';
  const crashed = await app.inject({ method: 'GET', url: '/api/alerts', headers: { cookie } });
  expect(crashed.statusCode).toBe(500);
  expect(crashed.body).not.toContain(GOOD_KEY);
  expect(lines.join('\n')).toContain('upstream unavailable');
  expect(lines.join('\n')).toContain('unexpected error');
  expect(lines.join('\n')).not.toContain(GOOD_KEY);
});
