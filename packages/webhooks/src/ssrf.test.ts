import { describe, expect, it } from 'vitest';
import { checkDestinationUrl, forbiddenRange, type Resolver } from './ssrf.js';

const dns: Record<string, string[]> = {
  'hooks.example.com': ['93.184.216.34'],
  'v6.example.com': ['2606:2800:220:1:248:1893:25c8:1946'],
  'internal.example.com': ['10.1.2.3'],
  'rebind.example.com': ['93.184.216.34', '127.0.0.1'],
  'metadata.google.internal': ['169.254.169.254'],
  localhost: ['127.0.0.1', '::1'],
  'mapped.example.com': ['::ffff:192.168.0.1'],
};
const resolve: Resolver = async (host) => {
  const answer = dns[host];
  if (!answer) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
  return answer.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

describe('checkDestinationUrl', () => {
  it.each([
    ['https://hooks.example.com/keywatch', '93.184.216.34'],
    ['http://hooks.example.com:8443/x?y=1', '93.184.216.34'],
    ['https://v6.example.com/', '2606:2800:220:1:248:1893:25c8:1946'],
    ['https://93.184.216.34/', '93.184.216.34'],
  ])('accepts %s', async (url, address) => {
    const result = await checkDestinationUrl(url, { resolve });
    expect(result).toMatchObject({ ok: true, address: { address } });
  });

  it.each([
    ['ftp://hooks.example.com/', 'unsupported_scheme'],
    ['file:///etc/passwd', 'unsupported_scheme'],
    ['gopher://127.0.0.1:6379/_FLUSHALL', 'unsupported_scheme'],
    ['not a url', 'invalid_url'],
    ['/relative', 'invalid_url'],
    ['https://user:pass@hooks.example.com/', 'credentials_in_url'],
    ['https://user@hooks.example.com/', 'credentials_in_url'],
    ['https://nowhere.invalid/', 'unresolvable'],
    ['http://127.0.0.1/', 'forbidden_address'],
    ['http://127.1/', 'forbidden_address'],
    ['http://2130706433/', 'forbidden_address'],
    ['http://0x7f000001/', 'forbidden_address'],
    ['http://0177.0.0.1/', 'forbidden_address'],
    ['http://localhost:6379/', 'forbidden_address'],
    ['http://[::1]/', 'forbidden_address'],
    ['http://[::]/', 'forbidden_address'],
    ['http://0.0.0.0/', 'forbidden_address'],
    ['http://10.0.0.1/', 'forbidden_address'],
    ['http://172.16.5.4/', 'forbidden_address'],
    ['http://192.168.1.1/', 'forbidden_address'],
    ['http://100.64.0.1/', 'forbidden_address'],
    ['http://169.254.169.254/latest/meta-data/', 'forbidden_address'],
    ['http://metadata.google.internal/computeMetadata/v1/', 'forbidden_address'],
    ['http://[fe80::1]/', 'forbidden_address'],
    ['http://[fd00:ec2::254]/', 'forbidden_address'],
    ['http://[fc00::1]/', 'forbidden_address'],
    ['http://[::ffff:127.0.0.1]/', 'forbidden_address'],
    ['http://[::ffff:7f00:1]/', 'forbidden_address'],
    ['http://[::127.0.0.1]/', 'forbidden_address'],
    ['http://[64:ff9b::a00:1]/', 'forbidden_address'],
    ['http://[2002:a00:1::]/', 'forbidden_address'],
    ['http://224.0.0.1/', 'forbidden_address'],
    ['http://[ff02::1]/', 'forbidden_address'],
    ['http://255.255.255.255/', 'forbidden_address'],
    ['http://192.0.2.10/', 'forbidden_address'],
    ['http://internal.example.com/', 'forbidden_address'],
    ['http://rebind.example.com/', 'forbidden_address'],
    ['http://mapped.example.com/', 'forbidden_address'],
  ])('refuses %s (%s)', async (url, reason) => {
    const result = await checkDestinationUrl(url, { resolve });
    expect(result).toMatchObject({ ok: false, reason });
  });

  it('with allowPrivate accepts loopback and private ranges but never metadata or unspecified', async () => {
    for (const url of [
      'http://127.0.0.1:9999/',
      'http://localhost/',
      'http://10.0.0.1/',
      'http://[::1]/',
      'http://[fd12::1]/',
      'http://[::ffff:127.0.0.1]/',
    ]) {
      expect(await checkDestinationUrl(url, { resolve, allowPrivate: true }), url).toMatchObject({ ok: true });
    }
    for (const url of [
      'http://169.254.169.254/',
      'http://[fd00:ec2::254]/',
      'http://100.100.100.200/',
      'http://0.0.0.0/',
      'http://224.0.0.1/',
    ]) {
      expect(await checkDestinationUrl(url, { resolve, allowPrivate: true }), url).toMatchObject({
        ok: false,
        reason: 'forbidden_address',
      });
    }
  });

  it('counts a resolver that does not answer in time as unresolvable', async () => {
    const never: Resolver = () => new Promise(() => undefined);
    expect(
      await checkDestinationUrl('https://slow.example.com/', { resolve: never, resolveTimeoutMs: 50 }),
    ).toMatchObject({ ok: false, reason: 'unresolvable', message: 'the host slow.example.com does not resolve' });
  });

  it('never tells the caller what a refused name resolved to (the message reaches tenants)', async () => {
    const result = await checkDestinationUrl('https://mapped.example.com/hook', { resolve });
    expect(result).toMatchObject({ ok: false, reason: 'forbidden_address' });
    expect(result.ok ? '' : result.message).not.toMatch(/192\.168|ffff/);
  });

  it('names the range it refused', () => {
    expect(forbiddenRange('127.0.0.1')).toBe('loopback');
    expect(forbiddenRange('169.254.169.254', true)).toBe('metadata');
    expect(forbiddenRange('8.8.8.8')).toBeNull();
  });
});
