import { describe, expect, test } from 'vitest';
import { forwardedIp, keyInQuery, openApiDocument, VerifyRequest } from './routes.js';
import { tokenMatcher } from './service.js';

const TRUSTED = ['127.0.0.1/32', '::1/128'];

describe('forward-auth request reading', () => {
  test('a key-looking query parameter is found by name or by value', () => {
    expect(keyInQuery('/v1/subscriptions?api_key=x')).toBe(true);
    expect(keyInQuery('/v1/subscriptions?Key=x')).toBe(true);
    expect(keyInQuery('/v1/subscriptions?q=sk_live_abc')).toBe(true);
    expect(keyInQuery('/v1/subscriptions?filter=a%20pk_dev_x')).toBe(true);
    expect(keyInQuery('/v1/subscriptions?page=2&sort=desc')).toBe(false);
    expect(keyInQuery('/v1/subscriptions')).toBe(false);
  });

  test('the client address comes from X-Forwarded-For or X-Real-IP only through a trusted proxy', () => {
    expect(forwardedIp({ 'x-forwarded-for': '203.0.113.9' }, '127.0.0.1', TRUSTED)).toBe('203.0.113.9');
    expect(forwardedIp({ 'x-forwarded-for': '203.0.113.9' }, '10.0.0.5', TRUSTED)).toBe('10.0.0.5');
    expect(forwardedIp({ 'x-forwarded-for': '198.51.100.1, 203.0.113.9' }, '::ffff:127.0.0.1', TRUSTED)).toBe(
      '203.0.113.9',
    );
    expect(forwardedIp({ 'x-real-ip': '2001:db8::1' }, '::1', TRUSTED)).toBe('2001:db8::1');
    expect(forwardedIp({ 'x-real-ip': '2001:db8::1' }, '192.0.2.4', TRUSTED)).toBe('192.0.2.4');
    expect(forwardedIp({ 'x-real-ip': 'not-an-ip' }, '127.0.0.1', TRUSTED)).toBe('127.0.0.1');
  });
});

describe('verify API', () => {
  test('the body schema refuses unknown fields and bad scopes, and takes a bad key', () => {
    expect(VerifyRequest.safeParse({ key: 'hunter2' }).success).toBe(true);
    expect(VerifyRequest.safeParse({ key: 'x', scopes: ['a'] }).success).toBe(false);
    expect(VerifyRequest.safeParse({ key: 'x', scope: 'root' }).success).toBe(false);
    expect(VerifyRequest.safeParse({ key: 'x', ip: '1.2.3' }).success).toBe(false);
  });

  test('the OpenAPI document describes verify and forward-auth with the token scheme', () => {
    const doc = openApiDocument() as {
      paths: Record<string, Record<string, { security?: unknown }>>;
      components: { securitySchemes: Record<string, unknown> };
    };
    expect(Object.keys(doc.paths).sort()).toEqual(['/v1/forward-auth', '/v1/verify']);
    expect(doc.paths['/v1/verify']?.post?.security).toEqual([{ token: [] }]);
    expect(doc.components.securitySchemes).toHaveProperty('token');
  });

  test('the deployment token compares whole', () => {
    const ok = tokenMatcher('a-token-of-sixteen+');
    expect(ok('a-token-of-sixteen+')).toBe(true);
    expect(ok('a-token-of-sixteen')).toBe(false);
    expect(ok('')).toBe(false);
  });
});
