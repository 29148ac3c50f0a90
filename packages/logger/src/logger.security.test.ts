import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createLogger } from './index.js';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const base62 = (length: number): string => [...randomBytes(length)].map((byte) => BASE62[byte % 62]).join('');
// Keys are generated per run so no key-shaped literal lives in the repository.
const newKey = (type: 'pk' | 'sk', env: 'dev' | 'live'): string => `${type}_${env}_${base62(36)}`;

function memoryStream() {
  const lines: string[] = [];
  return {
    lines,
    write(chunk: string) {
      lines.push(...chunk.split('\n').filter((line) => line !== ''));
    },
  };
}

describe('logger redaction', () => {
  it('keeps keys, secrets, Authorization headers and raw payloads out of every line', () => {
    const keys = {
      inMessage: newKey('sk', 'live'),
      inFormatArg: newKey('pk', 'live'),
      nested: newKey('sk', 'dev'),
      inError: newKey('sk', 'live'),
      inCause: newKey('pk', 'dev'),
      authorization: newKey('sk', 'live'),
      xApiKey: newKey('pk', 'live'),
      inKafkaValue: newKey('sk', 'live'),
      inPayload: newKey('sk', 'dev'),
      inBinding: newKey('sk', 'live'),
      root: newKey('sk', 'live'),
    };
    const bearer = `${base62(24)}.${base62(40)}`;
    const webhookSecret = `whsec_${base62(32)}`;
    const password = base62(18);
    const secrets = [...Object.values(keys), bearer, webhookSecret, password];

    const stream = memoryStream();
    const root = createLogger({ name: 'gateway', level: 'debug', destination: stream });
    const context = { request_id: 'req_7f3a', key_id: 'key_abc', tenant_id: 'tenant_dev_abc123' };
    const log = root.child(context);

    // Free text: message, format arguments, a Bearer token.
    log.info(`rejected presented key ${keys.inMessage}`);
    log.warn('client sent %s and %j', keys.inFormatArg, { note: `retry with ${keys.inFormatArg}` });
    log.info(`upstream replied to Authorization: Bearer ${bearer}`);
    // A nested string field.
    log.debug({ attempt: { detail: { note: `user pasted ${keys.nested} into a form` } } }, 'lookup');
    // Errors: message, stack, cause; as the first argument, under err, and without a message.
    const cause = new Error(`while checking ${keys.inCause}`);
    const error = new Error(`unknown key ${keys.inError}`, { cause });
    log.error(error);
    log.error({ err: error }, 'key lookup failed');
    log.error({ err: error });
    log.error({ failure: error }, 'nested error');
    // Headers, in the shapes pino and HTTP frameworks produce.
    const headers = {
      authorization: `Bearer ${keys.authorization}`,
      'x-api-key': keys.xApiKey,
      'user-agent': 'curl/8',
    };
    log.info({ req: { method: 'GET', url: '/v1/bundles', headers } }, 'request');
    log.info({ headers }, 'headers');
    const upstream = { request: { Authorization: `Bearer ${bearer}`, 'X-Api-Key': keys.xApiKey } };
    log.info({ upstream }, 'proxied');
    // Kafka messages: the value as a Buffer, top level and nested.
    const event = JSON.stringify({ event_id: 'evt_1', key_id: 'key_abc', presented: keys.inKafkaValue });
    const value = Buffer.from(event);
    log.warn({ topic: 'auth-events', partition: 0, offset: '42', value }, 'dead-lettered');
    log.warn({ message: { key: Buffer.from('key_abc'), value } }, 'poison message');
    // Raw payloads and configuration.
    log.info({ payload: { api_key: keys.inPayload, body: event } }, 'raw payload');
    log.info({ event: { raw: event, payload: { key: keys.inPayload } } }, 'nested payload');
    log.info({ body: { secret: keys.inPayload } }, 'request body');
    log.info({ webhook: { id: 'wh_1', secret: webhookSecret } }, 'webhook created');
    const config = {
      KEYWATCH_ROOT_KEY: keys.root,
      CLICKHOUSE_PASSWORD: password,
      REDIS_URL: `redis://default:${password}@cache:6379`,
    };
    log.info({ config }, 'config loaded');
    // Secrets in child bindings.
    log.child({ apiKey: keys.inBinding, note: `via ${keys.inBinding}` }).info('bound');

    expect(stream.lines).toHaveLength(19);
    for (const line of stream.lines) {
      for (const secret of secrets) expect(line).not.toContain(secret);
      expect(line).not.toContain('"Buffer"');
      expect(line).not.toContain(event);
      const entry: unknown = JSON.parse(line);
      expect(entry).toMatchObject({ name: 'gateway', ...context });
    }

    const byMessage = new Map(stream.lines.map((line) => [(JSON.parse(line) as { msg?: string }).msg, line]));
    expect(byMessage.get('rejected presented key sk_live_[redacted]')).toBeDefined();
    expect(byMessage.get('upstream replied to Authorization: Bearer [redacted]')).toBeDefined();
    expect(byMessage.get('dead-lettered')).toContain('"value":"[redacted]"');
    expect(byMessage.get('request')).toContain('"user-agent":"curl/8"');
    expect(byMessage.get('config loaded')).toContain('"REDIS_URL":"redis://[redacted]@cache:6379"');
    expect(byMessage.get('webhook created')).toContain('"id":"wh_1"');
    const { err } = JSON.parse(byMessage.get('key lookup failed') ?? '{}') as { err?: Record<string, unknown> };
    expect(err?.['type']).toBe('Error');
    expect(err?.['message']).toBe('unknown key sk_live_[redacted]: while checking pk_dev_[redacted]');
    expect(err?.['stack']).toContain('caused by: Error: while checking pk_dev_[redacted]');
  });
});
