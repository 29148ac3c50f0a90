import net from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { ApiError } from './errors.js';
import { clientErrorAnswer, fastifyOptions, installErrorHandling, MAX_PARAM_LENGTH } from './fastify.js';

const SECRET = 'sk_live_0123456789abcdefghijklmnopqrstuv';

interface Logged {
  fields: Record<string, unknown>;
  message: string;
}

/** A small API built like ours: an id route with a schema, a JSON body route, a route that throws. */
function buildTestApp(
  logged: Logged[] = [],
  translate?: Parameters<typeof installErrorHandling>[1]['translate'],
): FastifyInstance {
  const app = Fastify(fastifyOptions({ logger: false, bodyLimit: 1024 }));
  const seen: string[] = [];
  app.decorate('seen', seen);
  // Like the key service's: state set in onRequest, read in onResponse.
  app.decorateRequest('state', null as unknown as { ok: boolean });
  app.addHook('onRequest', async (request) => {
    (request as unknown as { state: { ok: boolean } }).state = { ok: true };
  });
  app.addHook('onResponse', async (request) => {
    seen.push(String((request as unknown as { state: { ok: boolean } | null }).state?.ok));
  });
  installErrorHandling(app, {
    logger: { error: (fields, message) => logged.push({ fields, message }) },
    bodyLimit: 1024,
    translate,
  });
  const IdParam = z.object({
    id: z
      .string()
      .max(64, 'must be at most 64 characters')
      .regex(/^key_\w+$/, 'must be a key id'),
  });
  app.get('/v1/keys/:id', async (request) => {
    const result = IdParam.safeParse(request.params);
    if (!result.success)
      throw new ApiError(400, 'invalid_request', `id: ${result.error.issues[0]?.message ?? 'invalid'}`, 'id');
    return { id: result.data.id };
  });
  app.post('/v1/keys', async (request) => ({ got: request.body }));
  app.get('/boom', async () => {
    throw new Error(`database password ${SECRET}`);
  });
  app.get('/upstream', async () => {
    throw new RangeError('upstream down');
  });
  return app;
}

function expectErrorBody(
  body: string,
  status: number,
  actual: number,
): { code: string; message: string; field?: string } {
  expect(actual).toBe(status);
  const parsed = JSON.parse(body) as { error: { code: string; message: string; field?: string } };
  expect(Object.keys(parsed)).toEqual(['error']);
  expect(parsed.error.code).toBeTypeOf('string');
  expect(parsed.error.message).toBeTypeOf('string');
  expect(body).not.toContain(SECRET);
  return parsed.error;
}

describe('installErrorHandling (app.inject)', () => {
  test("a path id far longer than Fastify's default 100 characters reaches the route and gets the normal 400 naming id", async () => {
    const app = buildTestApp();
    for (const id of ['x'.repeat(101), `key_${'a'.repeat(500)}`, 'y'.repeat(MAX_PARAM_LENGTH - 100)]) {
      const response = await app.inject({ method: 'GET', url: `/v1/keys/${id}` });
      const error = expectErrorBody(response.body, 400, response.statusCode);
      expect(error.field).toBe('id');
      expect(response.body).not.toContain(id.slice(0, 100));
    }
  });

  test('malformed, empty and proto-poisoned JSON: 400 invalid_json naming the body, never the body echoed', async () => {
    const app = buildTestApp();
    for (const payload of ['{', `{"key":"${SECRET}"`, '{"__proto__":{"admin":true}}', SECRET]) {
      const response = await app.inject({
        method: 'POST',
        url: '/v1/keys',
        headers: { 'content-type': 'application/json' },
        payload,
      });
      const error = expectErrorBody(response.body, 400, response.statusCode);
      expect(error).toMatchObject({ code: 'invalid_json', field: 'body' });
    }
    const empty = await app.inject({
      method: 'POST',
      url: '/v1/keys',
      headers: { 'content-type': 'application/json' },
      payload: '',
    });
    expect(expectErrorBody(empty.body, 400, empty.statusCode).code).toBe('invalid_json');
  });

  test('an unsupported content type is a 415 naming content-type; a body over the limit a 413 naming the limit', async () => {
    const app = buildTestApp();
    for (const type of ['application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const response = await app.inject({
        method: 'POST',
        url: '/v1/keys',
        headers: { 'content-type': type },
        payload: SECRET,
      });
      expect(expectErrorBody(response.body, 415, response.statusCode)).toMatchObject({
        code: 'unsupported_media_type',
        field: 'content-type',
      });
    }
    const large = await app.inject({
      method: 'POST',
      url: '/v1/keys',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ x: 'y'.repeat(2048) }),
    });
    const error = expectErrorBody(large.body, 413, large.statusCode);
    expect(error).toMatchObject({ code: 'body_too_large', field: 'body' });
    expect(error.message).toContain('1 KiB');
  });

  test('invalid percent-encoding in the path: 400 in our shape without the URL, before any hook', async () => {
    const app = buildTestApp();
    for (const url of ['/v1/keys/%ff%fe', `/v1/keys/${SECRET}%E0%A4%A`, '/v1/keys/%']) {
      const response = await app.inject({ method: 'GET', url });
      const error = expectErrorBody(response.body, 400, response.statusCode);
      expect(error.code).toBe('invalid_request');
      expect(error.message).toContain('percent-encoding');
    }
    // Refused by the router, before any hook: an onResponse hook never sees a request its onRequest hook did not.
    expect((app as unknown as { seen: string[] }).seen).toEqual([]);
    await app.inject({ method: 'GET', url: '/v1/keys/key_abc' });
    expect((app as unknown as { seen: string[] }).seen).toEqual(['true']);
  });

  test('unknown routes and methods: 404 not_found naming the method, not the path', async () => {
    const app = buildTestApp();
    for (const [method, url] of [
      ['GET', `/v1/nothing/${SECRET}`],
      ['DELETE', '/v1/keys'],
      ['PROPFIND', '/v1/keys'],
    ] as const) {
      const response = await app.inject({ method, url });
      const error = expectErrorBody(response.body, 404, response.statusCode);
      expect(error).toEqual({ code: 'not_found', message: `no route ${method} for this path` });
    }
  });

  test("an unexpected error is a logged 500 with no details; translate answers the app's own errors", async () => {
    const logged: Logged[] = [];
    const app = buildTestApp(logged, (error) =>
      error instanceof RangeError
        ? { status: 502, body: { error: { code: 'upstream_unavailable', message: 'the upstream is down' } } }
        : undefined,
    );
    const response = await app.inject({ method: 'GET', url: '/boom' });
    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body)).toEqual({
      error: { code: 'internal', message: 'internal error; the request id is in the x-request-id header' },
    });
    expect(logged.map((l) => l.message)).toEqual(['unexpected error']);
    const upstream = await app.inject({ method: 'GET', url: '/upstream' });
    expect(upstream.statusCode).toBe(502);
    expect(JSON.parse(upstream.body)).toEqual({
      error: { code: 'upstream_unavailable', message: 'the upstream is down' },
    });
  });
});

/** Raw bytes to a listening app; resolves with the status and body of what came back. */
function raw(port: number, bytes: Buffer | string): Promise<{ status: number; body: string; head: string }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(port, '127.0.0.1');
    socket.setTimeout(20_000, () => socket.destroy(new Error('no answer')));
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) =>
      error.code === 'ECONNRESET' || error.code === 'EPIPE' ? undefined : reject(error),
    );
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const end = text.indexOf('\r\n\r\n');
      resolve({
        status: Number(text.split(' ')[1] ?? 0),
        head: end < 0 ? text : text.slice(0, end),
        body: end < 0 ? '' : text.slice(end + 4),
      });
    });
    socket.write(bytes);
  });
}

describe("refusals by Node's HTTP parser (a listening app)", () => {
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function listen(): Promise<number> {
    app = buildTestApp();
    await app.listen({ host: '127.0.0.1', port: 0 });
    return (app.server.address() as net.AddressInfo).port;
  }
  const request = (head: string) => `${head}\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`;

  test('NUL or CR in a header value, bad Content-Length, Content-Length with chunked: 400 naming the problem, never the header', async () => {
    const port = await listen();
    const cases: Array<[Buffer | string, string]> = [
      [
        Buffer.concat([
          Buffer.from(`GET /v1/keys/key_abc HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${SECRET}`),
          Buffer.from([0]),
          Buffer.from('\r\n\r\n'),
        ]),
        'forbidden character',
      ],
      [
        `GET /v1/keys/key_abc HTTP/1.1\r\nHost: x\r\nX-Request-Id: ${SECRET}\rSet-Cookie: a=b\r\n\r\n`,
        'forbidden character',
      ],
      [`POST /v1/keys HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n`, 'Content-Length'],
      [
        `POST /v1/keys HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n`,
        'Content-Length',
      ],
    ];
    for (const [bytes, words] of cases) {
      const response = await raw(port, bytes);
      const error = expectErrorBody(response.body, 400, response.status);
      expect(error.code).toBe('invalid_request');
      expect(error.message).toContain(words);
    }
  });

  test('headers over 16 KiB: 431 headers_too_large in our shape', async () => {
    const port = await listen();
    const response = await raw(
      port,
      request(`GET /v1/keys/key_abc HTTP/1.1\r\nAuthorization: Bearer ${SECRET}${'x'.repeat(64 * 1024)}`),
    );
    expect(expectErrorBody(response.body, 431, response.status).code).toBe('headers_too_large');
  });

  test('an unknown method is a 400, CONNECT a 405 (Node alone would drop the connection)', async () => {
    const port = await listen();
    const unknown = await raw(port, request('FROB /v1/keys HTTP/1.1'));
    expect(expectErrorBody(unknown.body, 400, unknown.status).message).toBe('unknown HTTP method');
    const connect = await raw(port, request('CONNECT 127.0.0.1:22 HTTP/1.1'));
    expect(expectErrorBody(connect.body, 405, connect.status).code).toBe('method_not_allowed');
    expect(connect.head.toLowerCase()).toContain('allow: get');
    // The server still answers afterwards.
    const ok = await raw(port, request('GET /v1/keys/key_abc HTTP/1.1'));
    expect(ok.status).toBe(200);
  });

  test("the router's and parser's refusals each map to a fixed message (no input quoted)", () => {
    expect(clientErrorAnswer('HPE_HEADER_OVERFLOW').status).toBe(431);
    expect(clientErrorAnswer('ERR_HTTP_REQUEST_TIMEOUT').status).toBe(408);
    expect(clientErrorAnswer('HPE_SOMETHING_NEW')).toEqual({
      status: 400,
      body: { error: { code: 'invalid_request', message: 'malformed HTTP request' } },
    });
  });
});
