import fc from 'fast-check';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { KeyEnvironment, KeyType } from './keys.js';
import {
  generateKey,
  hashKey,
  isKeyId,
  KEY_CHECKSUM_LENGTH,
  KEY_RANDOM_LENGTH,
  keyDisplay,
  keyFingerprint,
  keyPrefix,
  newKeyId,
  parseKey,
} from './keys.js';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const kindArb = fc.record({
  type: fc.constantFrom<KeyType>('publishable', 'secret'),
  environment: fc.constantFrom<KeyEnvironment>('dev', 'live'),
});
const keyArb = kindArb.map((kind) => ({ kind, key: generateKey(kind) }));
// One UTF-16 unit each: an astral character would change the length, not just the charset.
const foreignChar = fc.constantFrom('_', '-', '+', '/', '=', ' ', '.', 'é', 'ß', '\u0000', '\u2028');
const anyChar = fc.oneof(fc.constantFrom(...Array.from(BASE62)), foreignChar);

function bodyStart(key: string): number {
  return key.indexOf('_', 3) + 1;
}

describe('generateKey and parseKey', () => {
  it('produces keys that parse back with their type, environment and prefix', () => {
    fc.assert(
      fc.property(keyArb, ({ kind, key }) => {
        const prefix = keyPrefix(kind);
        expect(key.startsWith(prefix)).toBe(true);
        expect(key).toHaveLength(prefix.length + KEY_RANDOM_LENGTH + KEY_CHECKSUM_LENGTH);
        expect(parseKey(key)).toEqual({ ok: true, ...kind, prefix });
      }),
    );
  });

  it('uses the documented prefixes', () => {
    expect(generateKey({ type: 'publishable', environment: 'dev' })).toMatch(/^pk_dev_[0-9A-Za-z]{36}$/);
    expect(generateKey({ type: 'publishable', environment: 'live' })).toMatch(/^pk_live_[0-9A-Za-z]{36}$/);
    expect(generateKey({ type: 'secret', environment: 'dev' })).toMatch(/^sk_dev_[0-9A-Za-z]{36}$/);
    expect(generateKey({ type: 'secret', environment: 'live' })).toMatch(/^sk_live_[0-9A-Za-z]{36}$/);
  });

  it('ends in the base62 CRC32 of everything before it, left-padded with 0', () => {
    fc.assert(
      fc.property(keyArb, ({ key }) => {
        const digits = Array.from(key.slice(-KEY_CHECKSUM_LENGTH)).map((char) => BASE62.indexOf(char));
        const value = digits.reduce((sum, digit) => sum * 62 + digit, 0);
        expect(value).toBe(crc32(key.slice(0, -KEY_CHECKSUM_LENGTH)));
      }),
    );
  });

  it('rejects any single-character substitution in the body, by charset or checksum', () => {
    fc.assert(
      fc.property(keyArb, fc.nat(), anyChar, ({ key }, at, char) => {
        const index = bodyStart(key) + (at % (KEY_RANDOM_LENGTH + KEY_CHECKSUM_LENGTH));
        fc.pre(key[index] !== char);
        const mutated = key.slice(0, index) + char + key.slice(index + 1);
        const reason = BASE62.includes(char) ? 'bad_checksum' : 'bad_charset';
        expect(parseKey(mutated)).toEqual({ ok: false, reason });
      }),
    );
  });

  it('rejects any single-character deletion or insertion in the body as bad_length', () => {
    fc.assert(
      fc.property(keyArb, fc.nat(), fc.oneof(anyChar, fc.constant('🔑')), fc.boolean(), ({ key }, at, char, insert) => {
        const index = bodyStart(key) + (at % (KEY_RANDOM_LENGTH + KEY_CHECKSUM_LENGTH));
        const mutated = insert
          ? key.slice(0, index) + char + key.slice(index)
          : key.slice(0, index) + key.slice(index + 1);
        expect(parseKey(mutated)).toEqual({ ok: false, reason: 'bad_length' });
      }),
    );
  });

  it('rejects a key whose prefix was relabelled to another type or environment, by checksum', () => {
    const key = generateKey({ type: 'publishable', environment: 'live' });
    expect(parseKey(key.replace(/^pk_/, 'sk_'))).toEqual({ ok: false, reason: 'bad_checksum' });
    const dev = generateKey({ type: 'secret', environment: 'dev' });
    const body = dev.slice('sk_dev_'.length);
    expect(parseKey(`sk_live_${body}`)).toEqual({ ok: false, reason: 'bad_checksum' });
  });

  it('rejects wrong prefixes as bad_prefix before looking at the body', () => {
    const wrong = fc.constantFrom(
      '',
      'pk_',
      'sk_test_',
      'rk_live_',
      'SK_LIVE_',
      'sk-live-',
      'sklive_',
      'pk_prod_',
      ' sk_live_',
      'key_',
    );
    fc.assert(
      fc.property(keyArb, wrong, ({ key }, prefix) => {
        expect(parseKey(prefix + key.slice(bodyStart(key)))).toEqual({ ok: false, reason: 'bad_prefix' });
      }),
    );
    fc.assert(
      fc.property(fc.string(), (text) => {
        fc.pre(!/^(pk|sk)_(dev|live)_/.test(text));
        expect(parseKey(text)).toEqual({ ok: false, reason: 'bad_prefix' });
      }),
    );
  });

  it('checks length before charset and charset before checksum', () => {
    expect(parseKey('sk_live_')).toEqual({ ok: false, reason: 'bad_length' });
    expect(parseKey(`sk_live_${'!'.repeat(35)}`)).toEqual({ ok: false, reason: 'bad_length' });
    expect(parseKey(`sk_live_${'!'.repeat(36)}`)).toEqual({ ok: false, reason: 'bad_charset' });
    expect(parseKey(`sk_live_${'0'.repeat(36)}`)).toEqual({ ok: false, reason: 'bad_checksum' });
  });
});

describe('key randomness', () => {
  const keys = Array.from({ length: 2000 }, () => generateKey({ type: 'secret', environment: 'live' }));
  const randomParts = keys.map((key) => key.slice('sk_live_'.length, -KEY_CHECKSUM_LENGTH));

  it('never repeats a key', () => {
    expect(new Set(randomParts).size).toBe(keys.length);
  });

  it('draws every base62 character about equally often (chi-square, 61 degrees of freedom)', () => {
    const counts = new Map<string, number>();
    for (const char of randomParts.join('')) counts.set(char, (counts.get(char) ?? 0) + 1);
    expect([...counts.keys()].sort().join('')).toBe(Array.from(BASE62).sort().join(''));
    const expected = (keys.length * KEY_RANDOM_LENGTH) / 62;
    const chiSquare = [...counts.values()].reduce((sum, n) => sum + (n - expected) ** 2 / expected, 0);
    // The 1e-6 tail of chi-square(61) is about 125: a biased generator fails, a fair one practically never does.
    expect(chiSquare).toBeLessThan(125);
  });

  it('has no position stuck on one character', () => {
    for (let position = 0; position < KEY_RANDOM_LENGTH; position += 1) {
      expect(new Set(randomParts.map((part) => part[position])).size).toBeGreaterThan(50);
    }
  });
});

describe('keyFingerprint', () => {
  it('is the first 16 hex chars of HMAC-SHA256(secret, credential)', () => {
    // RFC 4231 test case 2.
    expect(keyFingerprint('Jefe', 'what do ya want for nothing?')).toBe('5bdcc146bf60754e');
  });

  it('differs between deployments for the same credential', () => {
    const key = generateKey({ type: 'secret', environment: 'live' });
    expect(keyFingerprint('a', key)).not.toBe(keyFingerprint('b', key));
    expect(keyFingerprint(Buffer.from('a'), key)).toBe(keyFingerprint('a', key));
  });
});

describe('hashKey', () => {
  it('is SHA-256 hex without a pepper', () => {
    expect(hashKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('is HMAC-SHA256 hex with a pepper', () => {
    expect(hashKey('what do ya want for nothing?', 'Jefe')).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });
});

describe('keyDisplay', () => {
  it('shows only the prefix and the last 4 characters', () => {
    const key = generateKey({ type: 'publishable', environment: 'dev' });
    expect(keyDisplay(key)).toEqual({ prefix: 'pk_dev_', last4: key.slice(-4) });
    expect(keyDisplay('whatever')).toEqual({ prefix: '', last4: 'ever' });
  });
});

describe('key ids', () => {
  it('mints key_ plus 24 url-safe characters that pass isKeyId', () => {
    const ids = Array.from({ length: 100 }, newKeyId);
    for (const id of ids) {
      expect(id).toMatch(/^key_[A-Za-z0-9_-]{24}$/);
      expect(isKeyId(id)).toBe(true);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('rejects ids that are too short, not url-safe or not prefixed', () => {
    expect(isKeyId('key_abc')).toBe(false);
    expect(isKeyId(`key_${'a'.repeat(19)}`)).toBe(false);
    expect(isKeyId(`key_${'a'.repeat(20)}`)).toBe(true);
    expect(isKeyId(`key_${'a'.repeat(19)}+`)).toBe(false);
    expect(isKeyId(`kid_${'a'.repeat(24)}`)).toBe(false);
  });
});
