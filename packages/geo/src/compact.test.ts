import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { geoipLiteDataDir } from './compact.js';
import { geoipLite, geoipLiteReference, type GeoLocation } from './geo.js';

// geoip-lite itself, loaded here only: the reference every answer is compared with.
const reference = geoipLiteReference(createRequire(import.meta.url)('geoip-lite') as { lookup(ip: string): unknown });
// The module's own instance: the data is loaded once per process.
const compact = geoipLite;

const ntoa4 = (n: number) => `${n >>> 24}.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}`;
const ntoa6 = (hi: number, lo: number) =>
  [hi >>> 16, hi & 0xffff, lo >>> 16, lo & 0xffff, 0, 0, 0, 1].map((w) => w.toString(16)).join(':');

/** The addresses where answers differ, with both answers (empty when none). */
function differences(
  ips: Iterable<string>,
): Array<{ ip: string; compact: GeoLocation | null; reference: GeoLocation | null }> {
  const out = [];
  for (const ip of ips) {
    const [a, b] = [compact(ip), reference(ip)];
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ ip, compact: a, reference: b });
    if (out.length >= 5) break;
  }
  return out;
}

describe('the compact geo data', { timeout: 600_000 }, () => {
  it('answers as geoip-lite around every gap between IPv4 ranges and at both ends of every 16th range', () => {
    const data = readFileSync(path.join(geoipLiteDataDir(), 'geoip-city.dat'));
    function* ips() {
      let previousEnd = -1;
      for (let i = 0, o = 0; o < data.length; i++, o += 24) {
        const [start, end] = [data.readUInt32BE(o), data.readUInt32BE(o + 4)];
        // Gaps are where the compact form differs from the file's (a range of their own).
        if (i % 16 === 0 || start !== previousEnd + 1)
          yield* [start, end, start - 1, end + 1, previousEnd, (start + end) >>> 1]
            .filter((n) => n >= 0 && n <= 0xffff_ffff)
            .map(ntoa4);
        previousEnd = end;
      }
    }
    expect(differences(ips())).toEqual([]);
  });

  it('answers as geoip-lite at both ends of every IPv6 range and just outside them', () => {
    const b = readFileSync(path.join(geoipLiteDataDir(), 'geoip-city6.dat'));
    function* ips() {
      for (let o = 0; o < b.length; o += 48) {
        const [sh, sl, eh, el] = [
          b.readUInt32BE(o),
          b.readUInt32BE(o + 4),
          b.readUInt32BE(o + 16),
          b.readUInt32BE(o + 20),
        ];
        yield* [ntoa6(sh, sl), ntoa6(eh, el), ntoa6(sh, Math.max(0, sl - 1)), ntoa6(eh, Math.min(0xffff_ffff, el + 1))];
      }
    }
    expect(differences(ips())).toEqual([]);
  });

  it('answers as geoip-lite for random addresses, mapped, private, malformed and special ones', () => {
    let seed = 7;
    const next = () => (seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0);
    const random = Array.from({ length: 200_000 }, () => ntoa4(next()));
    const random6 = Array.from({ length: 50_000 }, () => ntoa6(0x2000_0000 | (next() >>> 3), next()));
    const special = [
      '81.2.69.142',
      '8.8.8.8',
      '1.1.1.1',
      '0.0.0.0',
      '255.255.255.255',
      '10.0.0.1',
      '172.16.5.4',
      '192.168.1.1',
      '127.0.0.1',
      '::ffff:81.2.69.142',
      '0:0:0:0:0:ffff:8.8.8.8',
      '::FFFF:1.1.1.1',
      '::1',
      '::',
      '2001:4860:4860::8888',
      'fe80::1',
      '2a03:2880:f12f:83:face:b00c::25de',
      '',
      'not an ip',
      '999.1.1.1',
      '1.2.3',
    ];
    expect(differences([...special, ...random, ...random6])).toEqual([]);
  });
});
