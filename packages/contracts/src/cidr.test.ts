import { describe, expect, test } from 'vitest';
import { IpRangeSet, ipv4ToNumber, parseCidr, parseIp } from './cidr.js';

describe('parseCidr', () => {
  test('reads IPv4 blocks and single addresses as inclusive ranges', () => {
    expect(parseCidr('10.0.0.0/8')).toEqual({ family: 4, first: 0x0a000000n, last: 0x0affffffn });
    expect(parseCidr('203.0.113.7')).toEqual({ family: 4, first: 0xcb007107n, last: 0xcb007107n });
    expect(parseCidr('203.0.113.77/24')).toEqual({ family: 4, first: 0xcb007100n, last: 0xcb0071ffn });
    expect(parseCidr('0.0.0.0/0')).toEqual({ family: 4, first: 0n, last: 0xffffffffn });
  });

  test('reads IPv6 blocks, compressed forms and IPv4-mapped addresses', () => {
    expect(parseCidr('2001:db8::/32')).toEqual({
      family: 6,
      first: 0x20010db8n << 96n,
      last: (0x20010db8n << 96n) | ((1n << 96n) - 1n),
    });
    expect(parseCidr('::1')).toEqual({ family: 6, first: 1n, last: 1n });
    expect(parseIp('::ffff:10.1.2.3')).toEqual({ family: 4, value: 0x0a010203n });
    expect(parseCidr('::ffff:10.0.0.0/104')).toEqual({ family: 4, first: 0x0a000000n, last: 0x0affffffn });
  });

  test('refuses what is not an address or block', () => {
    for (const bad of [
      '',
      '10.0.0',
      '10.0.0.256',
      '010.0.0.1',
      '10.0.0.0/33',
      '10.0.0.0/',
      '1::2::3',
      '2001:db8::/129',
      'abc',
      "1.2.3.4' OR 1=1",
      '::ffff:1.2.3.4/95',
    ])
      expect(parseCidr(bad), bad).toBeNull();
    expect(ipv4ToNumber('1.2.3.4.5')).toBe(-1);
  });
});

describe('IpRangeSet', () => {
  const set = new IpRangeSet([
    { range: parseCidr('10.0.0.0/8')!, label: 'ten' },
    { range: parseCidr('10.1.0.0/16')!, label: 'inside-ten' },
    { range: parseCidr('192.0.2.1')!, label: 'one' },
    { range: parseCidr('2001:db8::/32')!, label: 'doc6' },
  ]);

  test('matches addresses inside any block, mapped IPv6 included', () => {
    expect(set.match('10.200.3.4')).toBe('ten');
    expect(set.match('10.1.2.3')).toBe('ten');
    expect(set.match('::ffff:10.9.9.9')).toBe('ten');
    expect(set.match('192.0.2.1')).toBe('one');
    expect(set.match('2001:db8:1::5')).toBe('doc6');
  });

  test('does not match neighbours, other families or garbage', () => {
    expect(set.match('11.0.0.0')).toBeUndefined();
    expect(set.match('9.255.255.255')).toBeUndefined();
    expect(set.match('192.0.2.2')).toBeUndefined();
    expect(set.match('2001:db9::1')).toBeUndefined();
    expect(set.match('not an ip')).toBeUndefined();
  });

  test('stays exact over many blocks', () => {
    const many = new IpRangeSet(
      Array.from({ length: 10_000 }, (_, i) => ({ range: parseCidr(`100.${i >> 8}.${i & 255}.0/25`)!, label: i })),
    );
    expect(many.match('100.3.7.100')).toBe(3 * 256 + 7);
    expect(many.match('100.3.7.200')).toBeUndefined();
  });
});
