import { describe, expect, test } from '@keywatch/testkit';
import { generateKey } from '@keywatch/contracts';
import fc from 'fast-check';
import { createTestKey, insertEvents, startTestApi, type TestEvent } from '@keywatch/analytics-api/testing';
import { startTestGateway } from '@keywatch/gateway/testing';
import { startTestKeyService } from '@keywatch/key-service/testing';
import { describeExchange, isErrorBody, jsonOf, rawRequest, type RawResponse } from '../support/http.js';
import {
  badCredential,
  forwardedFor,
  fuzzSettings,
  hostileString,
  SQL_FRAGMENTS,
  wrongJson,
} from '../support/hostile.js';

// Bad input against the three HTTP surfaces, on the real engines. Every property: no 5xx, an error
// body `{ error: { code, message } }` on every rejection (naming the field where one field is bad),
// no other tenant's data, and the service healthy afterwards. Seeds are fixed (support/hostile.ts).

/**
 * A response of ours must be below 500 and, when it is an error, carry our error body — also when
 * the request is refused below the handlers: by Node's HTTP parser (NUL or CR in a header value, a
 * bad Content-Length, an unknown method), by Fastify (headers too large, a body over the limit, an
 * unsupported content type, bad percent-encoding in the path). No connection closed without an answer.
 */
function expectWellFormed(what: string, response: RawResponse): unknown {
  expect(response.status, describeExchange(what, response)).toBeGreaterThanOrEqual(200);
  expect(response.status, describeExchange(what, response)).toBeLessThan(500);
  const body = jsonOf(response.body);
  if (response.status >= 400) expect(isErrorBody(body), describeExchange(what, response)).toBe(true);
  return body;
}

/**
 * Requests no client library sends, each refused in our shape with the status that says why, and
 * neither the URL nor `secret` (the caller's key, sent along) in the answer. Runs against any of the three.
 */
async function expectProtocolRefusals(url: string, secret: string, idPath: (id: string) => string): Promise<void> {
  const auth = bearer(secret);
  const refusals: Array<
    [what: string, request: Parameters<typeof rawRequest>[1], status: number, code: string | undefined]
  > = [
    [
      'NUL in a header value',
      { method: 'GET', path: idPath('key_x'), headers: [['authorization', `Bearer ${secret}\u0000`]] },
      400,
      'invalid_request',
    ],
    [
      'CR in a header value',
      { method: 'GET', path: idPath('key_x'), headers: [auth, ['x-request-id', `${secret}\rSet-Cookie: a=b`]] },
      400,
      'invalid_request',
    ],
    [
      'a 64 KiB header',
      {
        method: 'GET',
        path: idPath('key_x'),
        headers: [['authorization', `Bearer ${secret}${'x'.repeat(64 * 1024)}`]],
      },
      431,
      'headers_too_large',
    ],
    [
      'a negative Content-Length',
      { method: 'GET', path: idPath('key_x'), headers: [auth, ['content-length', '-1']] },
      400,
      'invalid_request',
    ],
    [
      'Content-Length with chunked',
      {
        method: 'GET',
        path: idPath('key_x'),
        headers: [auth, ['transfer-encoding', 'chunked'], ['content-length', '5']],
      },
      400,
      'invalid_request',
    ],
    ['an unknown method', { method: 'FROB', path: idPath('key_x'), headers: [auth] }, 400, 'invalid_request'],
    ['CONNECT', { method: 'CONNECT', path: '127.0.0.1:22', headers: [auth] }, 405, 'method_not_allowed'],
    [
      'invalid percent-encoding in the path',
      { method: 'GET', path: idPath(`${secret}%ff%fe`), headers: [auth] },
      400,
      'invalid_request',
    ],
    [
      'truncated percent-encoding in the path',
      { method: 'GET', path: idPath(`${secret}%E0%A4%A`), headers: [auth] },
      400,
      'invalid_request',
    ],
  ];
  for (const [what, request, status, code] of refusals) {
    const response = await rawRequest(url, request);
    const body = expectWellFormed(what, response) as { error: { code: string } };
    expect(response.status, describeExchange(what, response)).toBe(status);
    if (code !== undefined) expect(body.error.code, describeExchange(what, response)).toBe(code);
    expect(response.body, describeExchange(`${what}: echoes the key`, response)).not.toContain(secret);
    expect(response.body, describeExchange(`${what}: echoes the URL`, response)).not.toContain(request.path);
  }
}

/** True when `field` is one of `fields` or a path inside one (`rate_limit.limit` names `rate_limit`). */
function namesField(field: string | undefined, fields: readonly string[]): boolean {
  return (
    field !== undefined && fields.some((f) => field === f || field.startsWith(`${f}.`) || field.startsWith(`${f}[`))
  );
}

const json = (value: unknown) => JSON.stringify(value);
const bearer = (key: string) => ['authorization', `Bearer ${key}`] as const;
const qs = (params: Record<string, string>) => new URLSearchParams(params).toString();

describe('key service admin API under bad input', () => {
  test('malformed and wrongly typed bodies, hostile queries, ids and credentials: 4xx naming the field, never a 5xx, no other tenant', async ({
    kafka,
    redis,
    logger,
  }) => {
    const ks = await startTestKeyService(
      { kafka, redis, logger },
      { KEY_SERVICE_RATE_LIMIT_PER_IP: '1000000', KEY_SERVICE_RATE_LIMIT_PER_KEY: '1000000' },
    );
    try {
      const tenantA = await ks.createKey({
        tenant_id: 'tenant_fuzz_a',
        type: 'secret',
        environment: 'live',
        name: 'admin a',
        scopes: ['keys:manage', 'audit:read'],
      });
      const tenantB = await ks.createKey({
        tenant_id: 'tenant_fuzz_b',
        type: 'secret',
        environment: 'live',
        name: 'admin b',
        scopes: ['keys:manage'],
      });
      const send = (
        method: string,
        path: string,
        headers: ReadonlyArray<readonly [string, string | Buffer]>,
        body?: string | Buffer,
      ) =>
        rawRequest(ks.url, {
          method,
          path,
          headers: [...headers, ...(body === undefined ? [] : [['content-type', 'application/json'] as const])],
          body,
        });

      // 1. A valid create body with one field replaced by a wrong value: 400 naming that field (or 201 if the value happens to be valid).
      const fields = [
        'type',
        'environment',
        'name',
        'scopes',
        'expires_at',
        'allowed_ips',
        'allowed_origins',
        'rate_limit',
        'tenant_id',
      ] as const;
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...fields), wrongJson, async (field, value) => {
          const body = { type: 'secret', environment: 'dev', name: 'fuzzed', [field]: value };
          const response = await send('POST', '/v1/keys', [bearer(tenantA.secret)], json(body));
          const parsed = expectWellFormed(`POST /v1/keys ${field}=${json(value)}`, response) as {
            error?: { field?: string };
            key?: { tenant_id: string };
          };
          if (response.status === 400)
            expect(
              namesField(parsed.error?.field, [field]),
              describeExchange(`POST /v1/keys ${field}=${json(value)}`, response),
            ).toBe(true);
          else if (response.status === 201) expect(parsed.key?.tenant_id).toBe('tenant_fuzz_a');
          else expect([403], describeExchange(`POST /v1/keys ${field}`, response)).toContain(response.status); // another tenant_id
        }),
        fuzzSettings(150),
      );

      // The same for PATCH /v1/keys/:id, POST /v1/keys/:id/rotate and PUT /v1/policy, on tenant A's own key.
      const own = await ks.createKey({
        tenant_id: 'tenant_fuzz_a',
        type: 'secret',
        environment: 'dev',
        name: 'patched',
        scopes: ['subscriptions:read'],
      });
      const bodies: Array<[string, string, Record<string, unknown>, readonly string[]]> = [
        [
          'PATCH',
          `/v1/keys/${own.id}`,
          { name: 'n' },
          ['name', 'scopes', 'allowed_ips', 'allowed_origins', 'rate_limit'],
        ],
        ['POST', `/v1/keys/${own.id}/rotate`, {}, ['grace_period_s']],
        [
          'PUT',
          '/v1/policy',
          { mode: 'notify_only' },
          ['mode', 'allow_live_revoke', 'max_actions_per_hour', 'tenant_id'],
        ],
      ];
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...bodies),
          fc.nat(),
          wrongJson,
          async ([method, path, base, fieldsOf], at, value) => {
            const field = fieldsOf[at % fieldsOf.length]!;
            const what = `${method} ${path} ${field}=${json(value)}`;
            const response = await send(method, path, [bearer(tenantA.secret)], json({ ...base, [field]: value }));
            const parsed = expectWellFormed(what, response) as { error?: { field?: string } };
            if (response.status === 400)
              expect(namesField(parsed.error?.field, [field]), describeExchange(what, response)).toBe(true);
            else expect([200, 201, 403, 409], describeExchange(what, response)).toContain(response.status);
          },
        ),
        fuzzSettings(120),
      );

      // 1b. Refused below the handlers, in our shape; an id far over Fastify's default 100-character
      // parameter limit reaches the route and is a 400 naming `id` (not a 414), without the id echoed.
      await expectProtocolRefusals(ks.url, tenantA.secret, (id) => `/v1/keys/${id}`);
      for (const id of ['x'.repeat(101), 'y'.repeat(1000), `not_a_key_${'z'.repeat(8000)}`]) {
        const response = await send('GET', `/v1/keys/${id}`, [bearer(tenantA.secret)]);
        const body = expectWellFormed(`GET /v1/keys/<${id.length} chars>`, response) as { error: { field?: string } };
        expect(response.status, describeExchange(`GET /v1/keys/<${id.length} chars>`, response)).toBe(400);
        expect(body.error.field).toBe('id');
        expect(response.body).not.toContain(id.slice(0, 100));
      }
      for (const [method, status] of [
        ['PROPFIND', 404],
        ['TRACE', 404],
        ['DELETE', 404],
      ] as const) {
        const response = await send(method, '/v1/keys', [bearer(tenantA.secret)]);
        expectWellFormed(`${method} /v1/keys`, response);
        expect(response.status, describeExchange(`${method} /v1/keys`, response)).toBe(status);
      }

      // 2. Bodies that are not JSON objects at all, or far too large.
      const hugeName = json({ type: 'secret', environment: 'live', name: 'x'.repeat(5 * 1024 * 1024) });
      for (const body of [
        '',
        '{',
        '{"type":',
        'null',
        '[]',
        '"text"',
        '42',
        '{"a":1}{"b":2}',
        '\u0000\u0001',
        Buffer.from([0xff, 0xfe, 0xfd]),
        '{"__proto__":{"admin":true},"type":"secret"}',
        '['.repeat(100_000),
        hugeName,
      ]) {
        const response = await send('POST', '/v1/keys', [bearer(tenantA.secret)], body);
        expectWellFormed(`POST /v1/keys body ${String(body).slice(0, 40)}`, response);
        expect(response.status, describeExchange('non-object body', response)).toBeGreaterThanOrEqual(400);
        if (body === hugeName) expect(response.status, describeExchange('5 MiB body', response)).toBe(413);
      }
      for (const contentType of [
        'text/plain',
        'application/x-www-form-urlencoded',
        'application/json; charset=utf-16',
        'multipart/form-data; boundary=x',
        '\u00ff',
      ]) {
        const response = await rawRequest(ks.url, {
          method: 'POST',
          path: '/v1/keys',
          headers: [bearer(tenantA.secret), ['content-type', contentType]],
          body: json({ type: 'secret', environment: 'live', name: 'n' }),
        });
        expectWellFormed(`POST /v1/keys content-type ${contentType}`, response);
        if (['application/x-www-form-urlencoded', 'multipart/form-data; boundary=x'].includes(contentType))
          expect(response.status, describeExchange(`content-type ${contentType}`, response)).toBe(415);
      }

      // 3. Hostile query parameters and path ids on every read route, as tenant A: only tenant A's keys come back.
      const queries: Array<[string, readonly string[]]> = [
        ['/v1/keys', ['status', 'environment', 'tenant_id', 'limit']],
        ['/v1/audit', ['key_id', 'tenant_id', 'from', 'to', 'limit']],
        ['/v1/policy', ['tenant_id']],
      ];
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...queries), fc.nat(), hostileString, async ([path, params], at, value) => {
          const param = params[at % params.length]!;
          const response = await send('GET', `${path}?${qs({ [param]: value })}`, [bearer(tenantA.secret)]);
          const body = expectWellFormed(`GET ${path}?${param}=${json(value)}`, response) as {
            keys?: Array<{ tenant_id: string }>;
            entries?: Array<{ tenant_id?: string }>;
            error?: { field?: string };
          };
          if (response.status === 400)
            expect(namesField(body.error?.field, [param]), describeExchange(`GET ${path}?${param}`, response)).toBe(
              true,
            );
          for (const key of body.keys ?? []) expect(key.tenant_id).toBe('tenant_fuzz_a');
          for (const entry of body.entries ?? []) expect(entry.tenant_id ?? 'tenant_fuzz_a').toBe('tenant_fuzz_a');
        }),
        fuzzSettings(150),
      );
      await fc.assert(
        fc.asyncProperty(
          hostileString,
          fc.constantFrom('GET /', 'PATCH /', 'POST /rotate', 'POST /revoke'),
          async (id, action) => {
            const [method, suffix] = action.split(' /') as [string, string];
            const response = await send(
              method,
              `/v1/keys/${encodeURIComponent(id)}${suffix ? `/${suffix}` : ''}`,
              [bearer(tenantA.secret)],
              method === 'GET' ? undefined : json({ name: 'x' }),
            );
            expectWellFormed(`${method} /v1/keys/${json(id)}/${suffix}`, response);
            expect(
              response.status,
              describeExchange(`${method} /v1/keys/${json(id)}`, response),
            ).toBeGreaterThanOrEqual(400);
          },
        ),
        fuzzSettings(80),
      );
      // Another tenant's real key id: not readable, not changeable.
      for (const [method, path, body] of [
        ['GET', `/v1/keys/${tenantB.id}`, undefined],
        ['POST', `/v1/keys/${tenantB.id}/revoke`, { reason: 'mine now' }],
        ['PATCH', `/v1/keys/${tenantB.id}`, { name: 'mine now' }],
        ['POST', `/v1/keys/${tenantB.id}/rotate`, {}],
      ] as const) {
        const response = await send(
          method,
          path,
          [bearer(tenantA.secret)],
          body === undefined ? undefined : json(body),
        );
        expectWellFormed(`${method} ${path} as tenant A`, response);
        expect([403, 404], describeExchange(`${method} ${path} as tenant A`, response)).toContain(response.status);
      }

      // 4. Credentials that must never authenticate, and hostile headers.
      await fc.assert(
        fc.asyncProperty(
          badCredential,
          fc.constantFrom('authorization', 'x-api-key'),
          forwardedFor,
          async (credential, header, xff) => {
            const response = await send('GET', '/v1/keys', [
              [header, header === 'x-api-key' ? credential.replace(/^Bearer /, '') : credential],
              ['x-forwarded-for', xff],
            ]);
            expectWellFormed(`GET /v1/keys ${header}: ${json(credential.slice(0, 80))}`, response);
            expect(
              [400, 401, 403, 429],
              describeExchange(`credential ${json(credential.slice(0, 80))}`, response),
            ).toContain(response.status);
          },
        ),
        fuzzSettings(150),
      );
      for (const headers of hostileHeaderSets(tenantA.secret)) {
        const response = await send('GET', '/v1/keys', headers);
        expectWellFormed(`hostile headers ${json(headers.map(([n]) => n))}`, response);
        expect(response.body).not.toContain(tenantA.secret);
      }

      const health = await fetch(new URL('/healthz', ks.url));
      expect(health.status).toBe(200);
      const still = await ks.call<{ keys: Array<{ tenant_id: string }> }>('GET', '/v1/keys', tenantB.secret);
      expect(still.status).toBe(200);
      expect(new Set(still.body.keys.map((k) => k.tenant_id))).toEqual(new Set(['tenant_fuzz_b']));
    } finally {
      await ks.close();
    }
  }, 240_000);
});

/** Header sets no well-behaved client sends: NUL and CR in values, 64 KiB values, many duplicates, latin-1 bytes. */
function hostileHeaderSets(key: string): Array<Array<readonly [string, string | Buffer]>> {
  return [
    [
      ['authorization', `Bearer ${key}`],
      ['authorization', 'Bearer sk_live_other'],
    ],
    [
      ['authorization', `Bearer ${key}`],
      ['x-api-key', 'sk_live_other'],
    ],
    [['authorization', `Bearer ${key}\u0000`]],
    [['authorization', Buffer.from([0x42, 0x65, 0x61, 0x72, 0x65, 0x72, 0x20, 0xff, 0xfe])]],
    [['authorization', `Bearer ${'x'.repeat(64 * 1024)}`]],
    [
      ['x-forwarded-for', 'x'.repeat(60 * 1024)],
      ['authorization', `Bearer ${key}`],
    ],
    [
      ['x-forwarded-for', Buffer.from([0xc0, 0xaf, 0x2c, 0x20, 0x31])],
      ['authorization', `Bearer ${key}`],
    ],
    [
      ['x-request-id', '\r\nSet-Cookie: a=b'],
      ['authorization', `Bearer ${key}`],
    ],
    Array.from({ length: 90 }, (_, i) => ['x-forwarded-for', `10.0.0.${i}`] as const),
    [['content-length', '-1']],
    [
      ['transfer-encoding', 'chunked'],
      ['content-length', '5'],
    ],
    [
      ['origin', 'null'],
      ['authorization', `Bearer ${key}`],
    ],
    [
      ['user-agent', '\u00e9'.repeat(10_000)],
      ['authorization', `Bearer ${key}`],
    ],
  ];
}

describe('analytics API under hostile query parameters', () => {
  test('SQL fragments, unicode and wrong types in every string parameter: 4xx naming it or an answer from the caller tenant only', async ({
    clickhouse,
    redis,
    logger,
  }) => {
    // The root key may name any tenant_id: the path where a fragment in tenant_id reaches the SQL.
    const rootKey = generateKey({ type: 'secret', environment: 'live' });
    const api = await startTestApi({ clickhouse, redis, logger }, { KEYWATCH_ROOT_KEY: rootKey });
    try {
      const a = await createTestKey(api.store, 'tenant_an_a');
      const b = await createTestKey(api.store, 'tenant_an_b');
      const root = await createTestKey(api.store, 'tenant_an_a'); // a tenant key; the root path is exercised with a secret below
      const now = Date.now();
      const events: TestEvent[] = [];
      for (const [tenant, key] of [
        ['tenant_an_a', a.id],
        ['tenant_an_b', b.id],
      ] as const) {
        for (let i = 0; i < 30; i += 1)
          events.push({
            tenant_id: tenant,
            key_id: key,
            ts: now - 3_600_000 + i * 60_000,
            outcome: i % 5 === 0 ? 'unknown_key' : 'allowed',
            status: i % 5 === 0 ? 401 : 200,
            route: '/v1/subscriptions',
            scope: 'subscriptions:read',
            latency_ms: 5,
            country: tenant === 'tenant_an_a' ? 'DE' : 'BR',
            city: tenant === 'tenant_an_a' ? 'Berlin' : 'Recife',
          });
      }
      await insertEvents(api.ch, events);
      const forbidden = [b.id, 'tenant_an_b', 'BR', 'Recife'];
      const routes: Array<[string, readonly string[]]> = [
        [`/v1/analytics/keys/${a.id}/usage`, ['from', 'to', 'tenant_id', 'interval']],
        [`/v1/analytics/keys/${a.id}/errors`, ['from', 'to', 'tenant_id']],
        [`/v1/analytics/keys/${a.id}/geo`, ['from', 'to', 'tenant_id']],
        [`/v1/analytics/keys/${a.id}/features`, ['from', 'to', 'tenant_id']],
        ['/v1/analytics/keys', ['from', 'to', 'tenant_id', 'sort', 'limit']],
      ];
      const get = (path: string, key: string) =>
        rawRequest(api.api.url, { method: 'GET', path, headers: [bearer(key)] });
      const checkAnswer = (what: string, response: RawResponse, param: string | undefined) => {
        const body = expectWellFormed(what, response) as { error?: { code?: string; field?: string } };
        // A bad range may be named by its other end or the interval rather than the fuzzed parameter.
        const range =
          ['from', 'to'].includes(param ?? '') || body.error?.code === 'range_too_large'
            ? ['from', 'to', 'interval']
            : [];
        if (response.status === 400 && param !== undefined)
          expect(namesField(body.error?.field, [param, ...range]), describeExchange(what, response)).toBe(true);
        if (response.status === 200)
          for (const word of forbidden)
            expect(response.body, describeExchange(`${what} leaked ${word}`, response)).not.toContain(word);
      };

      // Every parameter of every route, one at a time.
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...routes), fc.nat(), hostileString, async ([path, params], at, value) => {
          const param = params[at % params.length]!;
          const what = `GET ${path}?${param}=${json(value)}`;
          checkAnswer(what, await get(`${path}?${qs({ [param]: value })}`, a.secret), param);
        }),
        fuzzSettings(250),
      );
      // Every known fragment in every parameter, exhaustively (cheap, and the ones that matter most).
      for (const [path, params] of routes) {
        for (const param of params) {
          for (const fragment of SQL_FRAGMENTS) {
            const what = `GET ${path}?${param}=${json(fragment)}`;
            checkAnswer(what, await get(`${path}?${qs({ [param]: fragment })}`, a.secret), param);
          }
        }
      }
      // As root, with tenant_id=tenant_an_a plus a fragment in one parameter (tenant_id itself
      // included): tenant B's rows must never come back, whatever the fragment does to the SQL.
      for (const [path, params] of routes) {
        for (const param of params) {
          for (const fragment of SQL_FRAGMENTS) {
            const query =
              param === 'tenant_id'
                ? { tenant_id: `tenant_an_a${fragment}` }
                : { tenant_id: 'tenant_an_a', [param]: fragment };
            const what = `root GET ${path}?${qs(query)}`;
            checkAnswer(what, await get(`${path}?${qs(query)}`, rootKey), param);
          }
        }
      }
      const rootTop = await api.get<{ keys: Array<{ key_id: string }> }>(
        `/v1/analytics/keys?tenant_id=tenant_an_b&from=${new Date(now - 7_200_000).toISOString()}`,
        rootKey,
      );
      expect(rootTop.body.keys.map((k) => k.key_id)).toEqual([b.id]); // the root path does read (the checks above are not vacuous)
      // Several parameters at once, repeated parameters, unknown parameters, hostile path ids.
      for (const query of [
        'from=a&from=b',
        'tenant_id=tenant_an_a&tenant_id=tenant_an_b',
        'limit=1&limit=100',
        'unknown=1',
        'from[]=x',
        'from[a]=1',
        '%ff=%fe',
        'interval=minute&from=1970-01-01T00:00:00Z',
        `to=${'9'.repeat(5000)}`,
      ]) {
        checkAnswer(`GET /v1/analytics/keys?${query}`, await get(`/v1/analytics/keys?${query}`, a.secret), undefined);
        checkAnswer(`GET usage?${query}`, await get(`/v1/analytics/keys/${a.id}/usage?${query}`, a.secret), undefined);
      }
      await fc.assert(
        fc.asyncProperty(hostileString, fc.constantFrom('usage', 'errors', 'geo', 'features'), async (id, view) => {
          const response = await get(`/v1/analytics/keys/${encodeURIComponent(id)}/${view}`, a.secret);
          checkAnswer(`GET /v1/analytics/keys/${json(id)}/${view}`, response, undefined);
          expect([400, 404], describeExchange(`id ${json(id)}`, response)).toContain(response.status);
        }),
        fuzzSettings(60),
      );
      // Another tenant's key id, and credentials that must not authenticate.
      for (const view of ['usage', 'errors', 'geo', 'features']) {
        const response = await get(`/v1/analytics/keys/${b.id}/${view}`, a.secret);
        checkAnswer(`tenant A reads tenant B's key (${view})`, response, undefined);
        expect(response.status).toBe(404);
      }
      await fc.assert(
        fc.asyncProperty(badCredential, forwardedFor, async (credential, xff) => {
          const response = await rawRequest(api.api.url, {
            method: 'GET',
            path: '/v1/analytics/keys',
            headers: [
              ['authorization', credential],
              ['x-forwarded-for', xff],
            ],
          });
          expectWellFormed(`credential ${json(credential.slice(0, 80))}`, response);
          expect([400, 401, 403], describeExchange(`credential ${json(credential.slice(0, 80))}`, response)).toContain(
            response.status,
          );
        }),
        fuzzSettings(100),
      );
      await expectProtocolRefusals(api.api.url, a.secret, (id) => `/v1/analytics/keys/${id}/usage`);
      for (const id of ['x'.repeat(101), 'y'.repeat(1000), `key_${'z'.repeat(8000)}`]) {
        const response = await get(`/v1/analytics/keys/${id}/usage`, a.secret);
        const body = expectWellFormed(`GET usage of a <${id.length} chars> id`, response) as {
          error: { field?: string };
        };
        expect([400, 404], describeExchange(`GET usage of a <${id.length} chars> id`, response)).toContain(
          response.status,
        );
        if (response.status === 400) expect(body.error.field).toBe('id');
        expect(response.body).not.toContain(id.slice(0, 100));
      }
      for (const headers of hostileHeaderSets(root.secret)) {
        const response = await rawRequest(api.api.url, { method: 'GET', path: '/v1/analytics/keys', headers });
        expectWellFormed(`hostile headers ${json(headers.map(([n]) => n))}`, response);
        if (response.status === 200) for (const word of forbidden) expect(response.body).not.toContain(word);
      }

      const health = await fetch(new URL('/healthz', api.api.url));
      expect(health.status).toBe(200);
      const tables = await api.ch.query<{ n: string }>(
        "SELECT count() AS n FROM system.tables WHERE database = currentDatabase() AND name = 'auth_events'",
      );
      expect(Number(tables[0]?.n)).toBe(1); // nothing dropped
      const own = await api.get<{ keys: Array<{ key_id: string; requests: number | string }> }>(
        `/v1/analytics/keys?from=${new Date(now - 7_200_000).toISOString()}`,
        a.secret,
      );
      expect(own.status).toBe(200);
      expect(own.body.keys.map((k) => [k.key_id, Number(k.requests)])).toEqual([[a.id, 30]]);
    } finally {
      await api.close();
    }
  }, 240_000);
});

describe('reference gateway under hostile requests', () => {
  test('bad keys, checksum-broken keys, hostile headers and bodies: never a 5xx, never let in, always a reason', async ({
    kafka,
    redis,
    logger,
  }) => {
    const ks = await startTestKeyService({ kafka, redis, logger });
    const gateway = await startTestGateway({ kafka, redis, logger });
    try {
      const good = await ks.createKey({
        tenant_id: 'tenant_gw_fuzz',
        type: 'secret',
        environment: 'live',
        name: 'good',
        scopes: ['subscriptions:read', 'subscriptions:write'],
      });
      const routes = [
        'GET /v1/subscriptions',
        'POST /v1/subscriptions',
        'GET /v1/customers/x',
        'POST /v1/payments',
        'GET /v1/bundles',
        'DELETE /v1/subscriptions',
        'GET /v1/../../etc/passwd',
        'GET /%00',
        'GET /v1/subscriptions?q=%27%20OR%201%3D1',
      ];
      await fc.assert(
        fc.asyncProperty(
          badCredential,
          fc.constantFrom('authorization', 'x-api-key'),
          fc.constantFrom(...routes),
          forwardedFor,
          async (credential, header, route, xff) => {
            const [method, path] = route.split(' ') as [string, string];
            const value = header === 'x-api-key' ? credential.replace(/^Bearer /, '') : credential;
            const response = await rawRequest(gateway.url, {
              method,
              path,
              headers: [
                [header, value],
                ['x-forwarded-for', xff],
              ],
            });
            const what = `${route} ${header}: ${json(value.slice(0, 80))} xff ${json(xff.slice(0, 60))}`;
            expectWellFormed(what, response);
            expect(response.status, describeExchange(what, response)).toBeGreaterThanOrEqual(400); // never let in
          },
        ),
        fuzzSettings(200),
      );
      // A good key with hostile headers and bodies: a 2xx or a 4xx with a reason, never a 5xx.
      await fc.assert(
        fc.asyncProperty(
          forwardedFor,
          hostileString,
          fc.oneof(fc.constant(undefined), hostileString, fc.jsonValue().map(json)),
          async (xff, origin, body) => {
            const response = await rawRequest(gateway.url, {
              method: body === undefined ? 'GET' : 'POST',
              path: '/v1/subscriptions',
              headers: [
                bearer(good.secret),
                ['x-forwarded-for', xff],
                ['origin', origin.replace(/[\r\n\0]/g, '')],
                ['content-type', 'application/json'],
              ],
              body,
            });
            // Past the checks the answer is the demo routes' own, served by the gateway: the same shape.
            const what = `good key, xff ${json(xff.slice(0, 60))}, origin ${json(origin)}, body ${json(body?.slice(0, 60))}`;
            expectWellFormed(what, response);
          },
        ),
        fuzzSettings(120),
      );
      for (const headers of hostileHeaderSets(good.secret)) {
        const response = await rawRequest(gateway.url, { method: 'GET', path: '/v1/subscriptions', headers });
        expectWellFormed(`hostile headers ${json(headers.map(([n]) => n))}`, response);
        expect(response.body).not.toContain(good.secret);
      }
      await expectProtocolRefusals(gateway.url, good.secret, (id) => `/v1/customers/${id}`);
      const huge = await rawRequest(gateway.url, {
        method: 'POST',
        path: '/v1/subscriptions',
        headers: [bearer(good.secret), ['content-type', 'application/json']],
        body: json({ x: 'y'.repeat(20 * 1024 * 1024) }),
      });
      expectWellFormed('20 MiB body', huge);
      expect(huge.status, describeExchange('20 MiB body', huge)).toBe(413);
      const notJson = await rawRequest(gateway.url, {
        method: 'POST',
        path: '/v1/subscriptions',
        headers: [bearer(good.secret), ['content-type', 'application/json']],
        body: `{"key":"${good.secret}"`,
      });
      expectWellFormed('malformed JSON past the checks', notJson);
      expect(notJson.status).toBe(400);
      expect(notJson.body).not.toContain(good.secret);

      const health = await fetch(new URL('/healthz', gateway.url));
      expect(health.status).toBe(200);
      const ok = await fetch(new URL('/v1/subscriptions', gateway.url), {
        headers: { authorization: `Bearer ${good.secret}` },
      });
      expect(ok.status).toBe(200);
    } finally {
      await gateway.close();
      await ks.close();
    }
  }, 240_000);
});
