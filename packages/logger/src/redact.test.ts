import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { redactSecrets, scrubValue } from './redact.js';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const base62 = (length: number): string => [...randomBytes(length)].map((byte) => BASE62[byte % 62]).join('');

describe('redactSecrets', () => {
  it.each(['pk_dev_', 'pk_live_', 'sk_dev_', 'sk_live_'])('hides the body of %s keys, keeping the prefix', (prefix) => {
    expect(redactSecrets(`key=${prefix}${base62(36)}; next`)).toBe(`key=${prefix}[redacted]; next`);
  });

  it('hides every key in a text, wherever it sits', () => {
    const a = `sk_live_${base62(36)}`;
    const b = `pk_dev_${base62(24)}`;
    expect(redactSecrets(`${a},${b}\n(x_${a})`)).toBe('sk_live_[redacted],pk_dev_[redacted]\n(x_sk_live_[redacted])');
  });

  it('hides webhook signing secrets', () => {
    const secret = `whsec_${base62(30)}-_${base62(11)}`;
    expect(redactSecrets(`rotated to ${secret}.`)).toBe('rotated to whsec_[redacted].');
  });

  it('leaves key ids, short lookalikes and ordinary words alone', () => {
    const text = 'key_abc123 sk_live_short pk_test_' + base62(30) + ' skills_live_demo';
    expect(redactSecrets(text)).toBe(text);
  });

  it('hides Bearer tokens of any shape', () => {
    const token = `${base62(20)}.${base62(12)}-_~+/==`;
    expect(redactSecrets(`Authorization: Bearer ${token}`)).toBe('Authorization: Bearer [redacted]');
    expect(redactSecrets('authorization: bearer abc')).toBe('authorization: bearer [redacted]');
  });

  it('hides credentials inside URLs', () => {
    expect(redactSecrets('connecting to redis://default:hunter2@cache:6379/0')).toBe(
      'connecting to redis://[redacted]@cache:6379/0',
    );
    expect(redactSecrets('see https://example.com/a@b')).toBe('see https://example.com/a@b');
  });

  it('is idempotent and keeps a JSON line valid', () => {
    const line = JSON.stringify({ a: 'http://x', b: 'c:d@e', c: `Bearer ${base62(30)}`, d: `\nsk_dev_${base62(36)}` });
    const once = redactSecrets(line);
    expect(redactSecrets(once)).toBe(once);
    expect(JSON.parse(once)).toEqual({ a: 'http://x', b: 'c:d@e', c: 'Bearer [redacted]', d: '\nsk_dev_[redacted]' });
  });
});

describe('scrubValue', () => {
  it('censors secret-named fields in any spelling and at any depth, but not key ids', () => {
    const deep = { 'X-Api-Key': 'k', Authorization: 'Basic dTpw', CLICKHOUSE_PASSWORD: 'pw', webhookSecret: 's' };
    const input = { key_id: 'key_abc', key_type: 'secret', a: { b: { c: deep } }, token: null };
    const censored = { 'X-Api-Key': '[redacted]', Authorization: '[redacted]', CLICKHOUSE_PASSWORD: '[redacted]' };
    expect(scrubValue(input)).toEqual({
      key_id: 'key_abc',
      key_type: 'secret',
      a: { b: { c: { ...censored, webhookSecret: '[redacted]' } } },
      token: null,
    });
  });

  it('does not change its input', () => {
    const input = { note: `Bearer ${base62(20)}`, list: [{ password: 'pw' }] };
    const before = structuredClone(input);
    scrubValue(input);
    expect(input).toEqual(before);
  });

  it('replaces binary data by its size and cuts deep or circular structures', () => {
    type Node = { next?: Node };
    const loop: Node = {};
    loop.next = loop;
    const scrubbed = JSON.stringify(scrubValue({ bytes: Buffer.from('hello'), loop }));
    expect(scrubbed).toContain('"bytes":"[redacted 5 bytes]"');
    expect(scrubbed).toContain('[truncated]');
  });
});
