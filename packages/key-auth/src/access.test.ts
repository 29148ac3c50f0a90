import { describe, expect, it } from 'vitest';
import { clientIp, ipAllowed, originAllowed, presentedCredential } from './access.js';

describe('presentedCredential', () => {
  it('reads Bearer, falls back to X-Api-Key, and returns other schemes whole', () => {
    expect(presentedCredential({ authorization: 'Bearer abc' })).toBe('abc');
    expect(presentedCredential({ authorization: 'bearer   abc  ' })).toBe('abc');
    expect(presentedCredential({ 'x-api-key': ' xyz ' })).toBe('xyz');
    expect(presentedCredential({ authorization: 'Bearer abc', 'x-api-key': 'xyz' })).toBe('abc');
    expect(presentedCredential({ authorization: 'Basic dXNlcjpwYXNz' })).toBe('Basic dXNlcjpwYXNz');
    expect(presentedCredential({})).toBeNull();
    expect(presentedCredential({ authorization: '  ', 'x-api-key': '' })).toBeNull();
  });
});

describe('clientIp', () => {
  it('with a list of trusted proxies, believes the header only from them and takes the right-most untrusted hop', () => {
    const proxies = ['10.0.0.0/8', '127.0.0.1'];
    expect(clientIp({ 'x-forwarded-for': '198.51.100.1, 203.0.113.9, 10.0.0.7' }, '127.0.0.1', proxies)).toBe(
      '203.0.113.9',
    );
    // From a client that is not a trusted proxy, the header is ignored: it could say anything.
    expect(clientIp({ 'x-forwarded-for': '203.0.113.9' }, '192.0.2.50', proxies)).toBe('192.0.2.50');
    expect(clientIp({ 'x-forwarded-for': '10.0.0.9, 10.0.0.7' }, '::ffff:127.0.0.1', proxies)).toBe('127.0.0.1');
    expect(clientIp({ 'x-forwarded-for': 'evil, 10.0.0.7' }, '127.0.0.1', proxies)).toBe('127.0.0.1');
    expect(clientIp({ 'x-forwarded-for': '203.0.113.9' }, '127.0.0.1', [])).toBe('127.0.0.1');
  });

  it('trusts X-Forwarded-For only when told to, and only a valid address', () => {
    expect(clientIp({ 'x-forwarded-for': '203.0.113.9, 10.0.0.1' }, '::ffff:127.0.0.1', true)).toBe('203.0.113.9');
    expect(clientIp({ 'x-forwarded-for': '203.0.113.9' }, '::ffff:127.0.0.1', false)).toBe('127.0.0.1');
    expect(clientIp({ 'x-forwarded-for': 'evil' }, '10.1.2.3', true)).toBe('10.1.2.3');
    expect(clientIp({ 'x-forwarded-for': '2001:db8::1' }, '10.1.2.3', true)).toBe('2001:db8::1');
  });
});

describe('ipAllowed', () => {
  it('matches IPv4 and IPv6 addresses and CIDR blocks; an empty list allows all', () => {
    const allowed = ['203.0.113.0/24', '198.51.100.7', '2001:db8::/32'];
    expect(ipAllowed('203.0.113.200', allowed)).toBe(true);
    expect(ipAllowed('::ffff:203.0.113.200', allowed)).toBe(true);
    expect(ipAllowed('198.51.100.7', allowed)).toBe(true);
    expect(ipAllowed('198.51.100.8', allowed)).toBe(false);
    expect(ipAllowed('2001:db8:ffff::1', allowed)).toBe(true);
    expect(ipAllowed('2001:db9::1', allowed)).toBe(false);
    expect(ipAllowed('not-an-ip', allowed)).toBe(false);
    expect(ipAllowed('192.0.2.1', [])).toBe(true);
    expect(ipAllowed('192.0.2.1', ['garbage/99'])).toBe(false);
  });
});

describe('originAllowed', () => {
  it('compares canonical origins; no Origin header is not a browser and passes', () => {
    const allowed = ['https://app.example.com'];
    expect(originAllowed('https://app.example.com', allowed)).toBe(true);
    expect(originAllowed('https://APP.example.com:443', allowed)).toBe(true);
    expect(originAllowed('https://app.example.com.evil.io', allowed)).toBe(false);
    expect(originAllowed('http://app.example.com', allowed)).toBe(false);
    expect(originAllowed('null', allowed)).toBe(false);
    expect(originAllowed(null, allowed)).toBe(true);
    expect(originAllowed('https://anything.example', [])).toBe(true);
  });
});
