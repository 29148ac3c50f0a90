import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '@keywatch/logger';
import { describe, expect, test } from '@keywatch/testkit';
import { startTestKeyService } from './testing.js';

function keysFile() {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'kw-github-keys-')), 'keys.json');
  const keyId = 'key-1';
  writeFileSync(
    file,
    JSON.stringify({
      public_keys: [
        { key_identifier: keyId, key: publicKey.export({ type: 'spki', format: 'pem' }), is_current: true },
      ],
    }),
  );
  return { file, keyId, privateKey };
}

describe('POST /v1/leaks/github against forged and hostile requests', () => {
  test('a tampered body, a wrong key id, an altered or missing signature: 401 and nothing happens', async ({
    kafka,
    redis,
    clickhouse,
    logger,
  }) => {
    const keys = keysFile();
    const ks = await startTestKeyService(
      { kafka, redis, clickhouse, logger },
      { KEYWATCH_GITHUB_SCANNING_KEYS_FILE: keys.file },
    );
    try {
      const key = await ks.createKey({ tenant_id: 'tenant_x', type: 'secret', environment: 'live', name: 'k' });
      const body = JSON.stringify([{ token: key.secret, type: 't', url: 'https://github.com/o/r', source: 'content' }]);
      const signature = sign('sha256', Buffer.from(body), keys.privateKey).toString('base64');
      const post = (b: string, headers: Record<string, string>) =>
        fetch(new URL('/v1/leaks/github', ks.url), {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: b,
        });
      const signed = { 'github-public-key-identifier': keys.keyId, 'github-public-key-signature': signature };
      const raw = Buffer.from(signature, 'base64');
      raw[raw.length - 1] = (raw.at(-1) ?? 0) ^ 1;
      const attempts: Array<[string, string, Record<string, string>]> = [
        ['tampered body', body.replace('content', 'contenT'), signed],
        ['whitespace added', `${body} `, signed],
        ['wrong key identifier', body, { ...signed, 'github-public-key-identifier': 'key-2' }],
        ['altered signature', body, { ...signed, 'github-public-key-signature': raw.toString('base64') }],
        ['garbage signature', body, { ...signed, 'github-public-key-signature': '!!notbase64!!' }],
        ['no signature', body, { 'github-public-key-identifier': keys.keyId }],
        ['no headers', body, {}],
      ];
      for (const [what, b, headers] of attempts) {
        const response = await post(b, headers);
        expect(response.status, what).toBe(401);
        expect(((await response.json()) as { error: { code: string } }).error.code, what).toBe('invalid_signature');
      }
      // No state change: the key, its audit log and the leak claims are untouched.
      expect((await ks.call<{ key: { state: string } }>('GET', `/v1/keys/${key.id}`, ks.rootKey)).body.key.state).toBe(
        'active',
      );
      const audit = await ks.call<{ entries: Array<{ action: string }> }>(
        'GET',
        '/v1/audit?tenant_id=tenant_x',
        ks.rootKey,
      );
      expect(audit.body.entries.map((e) => e.action)).toEqual(['created']);
      expect(await redis.client.keys('leaks:*')).toEqual([]);
      // The untampered request is accepted: the refusals above were about the tampering.
      expect((await post(body, signed)).status).toBe(200);
    } finally {
      await ks.close();
    }
  });

  test('hostile bodies get a clean 4xx: non-JSON, huge arrays, deep nesting, 1 MB tokens', async ({
    kafka,
    redis,
    logger,
  }) => {
    const keys = keysFile();
    const ks = await startTestKeyService({ kafka, redis, logger }, { KEYWATCH_GITHUB_SCANNING_KEYS_FILE: keys.file });
    try {
      const post = async (body: string, signed = true) => {
        const response = await fetch(new URL('/v1/leaks/github', ks.url), {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'github-public-key-identifier': keys.keyId,
            ...(signed
              ? { 'github-public-key-signature': sign('sha256', Buffer.from(body), keys.privateKey).toString('base64') }
              : {}),
          },
          body,
        });
        const answer = (await response.json()) as { error?: { code: string; message: string } };
        return { status: response.status, answer };
      };
      const item = (token: string) => ({ token, type: 't', url: 'u', source: 's' });
      const cases: Array<[string, string, number]> = [
        ['not JSON', 'token=sk_live_x', 400],
        ['empty', '', 400],
        ['an object, not an array', JSON.stringify(item('x')), 400],
        ['an empty array', '[]', 400],
        ['deep nesting', `${'['.repeat(100_000)}${']'.repeat(100_000)}`, 400],
        [
          'nested objects as fields',
          JSON.stringify([{ token: { a: { b: {} } }, type: 't', url: 'u', source: 's' }]),
          400,
        ],
        ['a huge array of small items', JSON.stringify(Array.from({ length: 20_000 }, () => ({ token: 'x' }))), 400],
        ['a 2 KB token', JSON.stringify([item('x'.repeat(2048))]), 400],
        ['a 1 MB token', JSON.stringify([item('x'.repeat(1024 * 1024))]), 413],
      ];
      for (const [what, body, status] of cases) {
        const { status: got, answer } = await post(body);
        expect(got, what).toBe(status);
        expect(answer.error?.message, what).toBeTypeOf('string');
        expect(answer.error?.message ?? '', what).not.toMatch(/ at .*\.ts:\d+/);
      }
      // Without a signature, even a huge body is refused (by size, before anything reads it).
      expect((await post(JSON.stringify([item('x'.repeat(2 * 1024 * 1024))]), false)).status).toBe(413);
      // And the service is still fine.
      expect((await fetch(new URL('/healthz', ks.url))).status).toBe(200);
    } finally {
      await ks.close();
    }
  });

  test('reported tokens never reach a log line, even at trace level', async ({ kafka, redis, clickhouse }) => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger({ name: 'key-service', level: 'trace', destination: sink });
    const keys = keysFile();
    const ks = await startTestKeyService(
      { kafka, redis, clickhouse, logger },
      { KEYWATCH_GITHUB_SCANNING_KEYS_FILE: keys.file },
    );
    const secrets: string[] = [];
    try {
      const live = await ks.createKey({ tenant_id: 'tenant_log', type: 'secret', environment: 'live', name: 'k' });
      const other = await ks.createKey({ tenant_id: 'tenant_log', type: 'secret', environment: 'dev', name: 'k2' });
      secrets.push(live.secret, other.secret);
      const body = JSON.stringify([
        { token: live.secret, type: 't', url: 'https://github.com/o/r', source: 'content' },
        { token: `${other.secret}x`, type: 't', url: 'u', source: 's' },
      ]);
      const signature = sign('sha256', Buffer.from(body), keys.privateKey).toString('base64');
      const headers = {
        'content-type': 'application/json',
        'github-public-key-identifier': keys.keyId,
        'github-public-key-signature': signature,
      };
      const post = (b: string) => fetch(new URL('/v1/leaks/github', ks.url), { method: 'POST', headers, body: b });
      expect((await post(body)).status).toBe(200);
      expect((await post(body.replace('content', 'c0ntent'))).status).toBe(401);
      expect((await post(JSON.stringify([{ token: { nested: other.secret } }]))).status).toBe(401);
      await ks.call('POST', '/v1/leaks', ks.rootKey, { token: other.secret, source: 'ticket', note: other.secret });
      await ks.call('POST', '/v1/leaks', ks.rootKey, { token: other.secret, source: 's', bogus: other.secret });
    } finally {
      await ks.close();
    }
    expect(lines.length).toBeGreaterThan(0);
    const everything = lines.join('');
    for (const secret of secrets) expect(everything).not.toContain(secret.slice(8, 30));
  });
});
