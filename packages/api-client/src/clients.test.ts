import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnalyticsClient, createKeyServiceClient, KeywatchApiError, KeywatchUnavailableError } from './index.js';

const API_KEY = 'sk_live_0123456789ABCDEFGHIJKLMNOPQRSTabcdef';

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  contentType: string | undefined;
  body: string;
}

/** A stand-in API answering what `answer` says and recording each request. */
let server: Server;
let baseUrl: string;
const seen: Seen[] = [];
let answer: (request: Seen) => { status: number; body?: string } = () => ({ status: 200, body: '{}' });

async function read(request: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of request) text += String(chunk);
  return text;
}

beforeAll(async () => {
  server = createServer((request, response) => {
    void read(request).then((body) => {
      const entry: Seen = {
        method: request.method ?? '',
        url: request.url ?? '',
        authorization: request.headers.authorization,
        contentType: request.headers['content-type'],
        body,
      };
      seen.push(entry);
      const { status, body: out } = answer(entry);
      response.writeHead(status, out === undefined ? {} : { 'content-type': 'application/json' });
      response.end(out);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('key service client', () => {
  it('sends the key as a bearer token and the body as JSON, and returns the parsed answer', async () => {
    answer = () => ({ status: 201, body: JSON.stringify({ key: { id: 'key_1' }, secret: 's' }) });
    const client = createKeyServiceClient({ baseUrl, apiKey: API_KEY });
    const created = await client.createKey({ tenant_id: 't1', type: 'secret', environment: 'dev', name: 'ci' });
    expect(created.secret).toBe('s');
    expect(seen.at(-1)).toEqual({
      method: 'POST',
      url: '/v1/keys',
      authorization: `Bearer ${API_KEY}`,
      contentType: 'application/json',
      body: '{"tenant_id":"t1","type":"secret","environment":"dev","name":"ci"}',
    });
  });

  it('puts defined query values in the query string and escapes ids in paths', async () => {
    answer = () => ({ status: 200, body: '{"keys":[]}' });
    const client = createKeyServiceClient({ baseUrl, apiKey: API_KEY });
    await client.listKeys({ status: 'active', tenant_id: undefined, limit: 5 });
    expect(seen.at(-1)).toMatchObject({
      method: 'GET',
      url: '/v1/keys?status=active&limit=5',
      contentType: undefined,
      body: '',
    });
    await client.transitionKey('key_a/../b', 'revoke', { reason: 'leaked' });
    expect(seen.at(-1)).toMatchObject({
      method: 'POST',
      url: '/v1/keys/key_a%2F..%2Fb/revoke',
      body: '{"reason":"leaked"}',
    });
  });

  it('answers an empty 204 with undefined', async () => {
    answer = () => ({ status: 204 });
    await expect(createKeyServiceClient({ baseUrl, apiKey: API_KEY }).deleteWebhook('wh_1')).resolves.toBeUndefined();
    expect(seen.at(-1)).toMatchObject({ method: 'DELETE', url: '/v1/webhooks/wh_1' });
  });
});

describe('errors', () => {
  it('turn the contract error body into a typed error with code and field, without the key', async () => {
    answer = () => ({
      status: 400,
      body: JSON.stringify({
        error: { code: 'invalid_request', message: 'must be dev or live', field: 'environment' },
      }),
    });
    const error = await createKeyServiceClient({ baseUrl, apiKey: API_KEY })
      .createKey({ type: 'secret', environment: 'dev', name: 'x' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeywatchApiError);
    expect(error).toMatchObject({
      status: 400,
      code: 'invalid_request',
      field: 'environment',
      detail: 'must be dev or live',
      request: { method: 'POST', path: '/v1/keys' },
    });
    expect((error as Error).message).toBe('400 invalid_request: must be dev or live (field environment)');
    for (const text of [String(error), JSON.stringify(error), (error as Error).stack ?? ''])
      expect(text).not.toContain(API_KEY);
  });

  it('name the status when the error body is not the contract', async () => {
    answer = () => ({ status: 502, body: 'bad gateway' });
    const error = await createAnalyticsClient({ baseUrl, apiKey: API_KEY })
      .listAlerts()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 502, code: 'http_502', field: undefined });
  });

  it('say which API did not answer, and where, without the key', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await createAnalyticsClient({ baseUrl: url, apiKey: API_KEY })
      .topKeys()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeywatchUnavailableError);
    expect((error as Error).message).toMatch(new RegExp(`^the analytics API does not answer at ${url} \\(`));
    for (const text of [String(error), JSON.stringify(error), (error as Error).stack ?? ''])
      expect(text).not.toContain(API_KEY);
  });
});

describe('analytics client', () => {
  it('reads per-key analytics and moves alerts through their lifecycle', async () => {
    answer = (request) => ({
      status: 200,
      body: request.url.startsWith('/v1/alerts')
        ? '{"alert":{"alert_id":"a1","status":"acknowledged"}}'
        : '{"key_id":"key_1","points":[]}',
    });
    const client = createAnalyticsClient({ baseUrl, apiKey: API_KEY, fetch: (input, init) => fetch(input, init) });
    expect((await client.usage('key_1', { interval: 'minute', from: '2026-01-01T00:00:00Z' })).points).toEqual([]);
    expect(seen.at(-1)?.url).toBe('/v1/analytics/keys/key_1/usage?interval=minute&from=2026-01-01T00%3A00%3A00Z');
    expect((await client.transitionAlert('a1', 'ack', { note: 'looking' })).alert.status).toBe('acknowledged');
    expect(seen.at(-1)).toMatchObject({ method: 'POST', url: '/v1/alerts/a1/ack', body: '{"note":"looking"}' });
  });
});
