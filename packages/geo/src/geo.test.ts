import { describe, expect, it } from 'vitest';
import { geoipLite } from './geo.js';

describe('geoipLite', { timeout: 60_000 }, () => {
  it('finds country, city, coordinates and accuracy radius', () => {
    const geo = geoipLite('81.2.69.142');
    expect(geo?.country).toBe('GB');
    expect(geo?.city).toBeTypeOf('string');
    expect(geo?.lat).toBeTypeOf('number');
    expect(geo?.lon).toBeTypeOf('number');
    expect(geo?.radiusKm).toBeGreaterThan(0);
  });

  it('looks IPv6 and IPv4-mapped addresses up too', () => {
    expect(geoipLite('2001:4860:4860::8888')?.country).toBe('US');
    expect(geoipLite('::ffff:81.2.69.142')?.country).toBe('GB');
  });

  it('knows nothing of private and reserved addresses', () => {
    expect(geoipLite('10.0.0.1')).toBeNull();
    expect(geoipLite('192.168.1.1')).toBeNull();
    expect(geoipLite('127.0.0.1')).toBeNull();
  });
});
