import { createHash, createHmac, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { z } from 'zod';

/** Who may hold a key: `publishable` (client-safe, public scopes only) or `secret` (server-only). */
export const KeyType = z.enum(['publishable', 'secret']);
export type KeyType = z.infer<typeof KeyType>;

/** The environment a key works in; a key never works in the other one. */
export const KeyEnvironment = z.enum(['dev', 'live']);
export type KeyEnvironment = z.infer<typeof KeyEnvironment>;

/** Why {@link parseKey} refused a string, checked in this order. */
export const KeyFormatError = z.enum(['bad_prefix', 'bad_length', 'bad_charset', 'bad_checksum']);
export type KeyFormatError = z.infer<typeof KeyFormatError>;

/** What {@link parseKey} learns from a key's shape alone. */
export type ParsedKey =
  { ok: true; type: KeyType; environment: KeyEnvironment; prefix: string } | { ok: false; reason: KeyFormatError };

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** Random base62 characters per key: 30 × log2(62) ≈ 178.6 bits of entropy. */
export const KEY_RANDOM_LENGTH = 30;
/** Base62 characters of the CRC32 checksum; 62^6 > 2^32, so six always suffice. */
export const KEY_CHECKSUM_LENGTH = 6;
const BODY_LENGTH = KEY_RANDOM_LENGTH + KEY_CHECKSUM_LENGTH;
const PREFIX = /^(pk|sk)_(dev|live)_/;
const BODY = /^[0-9A-Za-z]*$/;
const KEY_ID = /^key_[A-Za-z0-9_-]{20,}$/;

/** The prefix of a key of this type and environment, e.g. `sk_live_`. */
export function keyPrefix(kind: { type: KeyType; environment: KeyEnvironment }): string {
  return `${kind.type === 'publishable' ? 'pk' : 'sk'}_${kind.environment}_`;
}

/** A new key, e.g. `sk_live_` + 30 random base62 chars + 6 checksum chars. Shown once, never stored. */
export function generateKey(kind: { type: KeyType; environment: KeyEnvironment }): string {
  const head = keyPrefix(kind) + randomBase62(KEY_RANDOM_LENGTH);
  return head + checksum(head);
}

/**
 * Checks a presented credential's shape and checksum without any lookup, so a typo or a forged
 * string is answered as `malformed_key` before touching a cache or a database.
 */
export function parseKey(text: string): ParsedKey {
  const match = PREFIX.exec(text);
  if (!match) return { ok: false, reason: 'bad_prefix' };
  const prefix = match[0];
  const body = text.slice(prefix.length);
  if (body.length !== BODY_LENGTH) return { ok: false, reason: 'bad_length' };
  if (!BODY.test(body)) return { ok: false, reason: 'bad_charset' };
  const head = text.slice(0, -KEY_CHECKSUM_LENGTH);
  if (checksum(head) !== text.slice(-KEY_CHECKSUM_LENGTH)) return { ok: false, reason: 'bad_checksum' };
  return {
    ok: true,
    type: match[1] === 'pk' ? 'publishable' : 'secret',
    environment: match[2] === 'dev' ? 'dev' : 'live',
    prefix,
  };
}

/**
 * Groups attempts with the same (possibly unknown) credential without storing it:
 * the first 16 hex chars of HMAC-SHA256(deployment secret, credential).
 */
export function keyFingerprint(deploymentSecret: string | Buffer, credential: string): string {
  return createHmac('sha256', deploymentSecret).update(credential).digest('hex').slice(0, 16);
}

/**
 * The value stored and looked up instead of the key: SHA-256 hex, or HMAC-SHA256 hex keyed with
 * `pepper` when one is given (a leaked table then cannot be checked against guesses offline).
 */
export function hashKey(key: string, pepper?: string | Buffer): string {
  const hash = pepper === undefined ? createHash('sha256') : createHmac('sha256', pepper);
  return hash.update(key).digest('hex');
}

/** What may be shown of a key once it is stored: its prefix (`''` if it has none) and last 4 chars. */
export function keyDisplay(key: string): { prefix: string; last4: string } {
  return { prefix: PREFIX.exec(key)?.[0] ?? '', last4: key.slice(-4) };
}

/** A new public key id: `key_` + 24 url-safe random chars (144 bits). */
export function newKeyId(): string {
  return `key_${randomBytes(18).toString('base64url')}`;
}

/** True for a key id: `key_` + at least 20 url-safe chars. */
export function isKeyId(text: string): boolean {
  return KEY_ID.test(text);
}

function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // 248 = 4 × 62: bytes above it are dropped so that `% 62` is uniform.
      if (byte < 248 && out.length < length) out += BASE62.charAt(byte % 62);
    }
  }
  return out;
}

function checksum(head: string): string {
  let value = crc32(head);
  let out = '';
  for (let i = 0; i < KEY_CHECKSUM_LENGTH; i += 1) {
    out = BASE62.charAt(value % 62) + out;
    value = Math.floor(value / 62);
  }
  return out;
}
