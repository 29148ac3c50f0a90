import { describe, expect, it } from 'vitest';
import { geoipLite } from '@keywatch/geo';
import { createEnricher, userAgentClass } from './enrich.js';

describe('createEnricher', () => {
  it('looks an address up once and answers repeats from the cache', () => {
    let calls = 0;
    const enricher = createEnricher(() => {
      calls += 1;
      return { country: 'DE', region: 'BE', city: 'Berlin', lat: 52.5, lon: 13.4, radiusKm: 10 };
    }, 2);
    for (let i = 0; i < 5; i++) enricher.enrich('198.51.100.1', 'curl/8.0');
    expect(calls).toBe(1);
    expect(enricher.stats).toEqual({ hits: 4, misses: 1 });
    expect(enricher.enrich('198.51.100.1', 'curl/8.0')).toEqual({
      country: 'DE',
      region: 'BE',
      city: 'Berlin',
      lat: 52.5,
      lon: 13.4,
      area: 10,
      ua_class: 'cli',
    });
  });

  it('gives empty geography for addresses the database does not know', () => {
    const enricher = createEnricher(geoipLite, 10);
    expect(enricher.enrich('10.1.2.3', '')).toEqual({
      country: '',
      region: '',
      city: '',
      lat: null,
      lon: null,
      area: null,
      ua_class: '',
    });
  });

  it('stores country, city, coordinates and accuracy radius from geoip-lite', () => {
    const geo = createEnricher(geoipLite, 10).geo('81.2.69.142');
    expect(geo.country).toBe('GB');
    expect(geo.lat).toBeTypeOf('number');
    expect(geo.area).toBeGreaterThan(0);
    expect(createEnricher(geoipLite, 10).geo('2001:4860:4860::8888').country).toBe('US');
  });

  it('keeps what the data gives, and an accuracy radius only when it fits the UInt16 column', () => {
    const enricher = createEnricher(
      (ip) => ({
        country: '',
        region: '',
        city: '',
        lat: ip === 'v6' ? 0 : null,
        lon: ip === 'v6' ? 0 : null,
        radiusKm: ip === 'far' ? 70_000 : null,
      }),
      10,
    );
    expect(enricher.geo('v6')).toEqual({ country: '', region: '', city: '', lat: 0, lon: 0, area: null });
    expect(enricher.geo('v4')).toEqual({ country: '', region: '', city: '', lat: null, lon: null, area: null });
    expect(enricher.geo('far').area).toBeNull();
  });
});

describe('userAgentClass', () => {
  it.each([
    ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120', 'browser'],
    ['Mozilla/5.0 (compatible; Googlebot/2.1)', 'bot'],
    ['curl/8.5.0', 'cli'],
    ['python-requests/2.31', 'sdk'],
    ['node-fetch/1.0', 'sdk'],
    ['something else', 'other'],
    ['', ''],
  ])('%s → %s', (ua, expected) => {
    expect(userAgentClass(ua)).toBe(expected);
  });
});
