import { geoipLite } from '@keywatch/geo';
import { describe, expect, it } from 'vitest';
import { countryPools } from './geo.js';
import { diurnalFactor, seeded, weighted } from './random.js';

describe('simulator randomness', () => {
  it('is reproducible from a seed', () => {
    const a = seeded(42);
    const b = seeded(42);
    expect(Array.from({ length: 5 }, a)).toEqual(Array.from({ length: 5 }, b));
  });

  it('follows a diurnal curve between a quarter of the peak and the peak', () => {
    const day = 1000;
    expect(diurnalFactor(0, day)).toBeCloseTo(0.25);
    expect(diurnalFactor(500, day)).toBeCloseTo(1);
    for (let t = 0; t < day; t += 37) expect(diurnalFactor(t, day)).toBeGreaterThanOrEqual(0.25);
  });

  it('draws by weight', () => {
    const random = seeded(3);
    const counts = [0, 0];
    for (let i = 0; i < 10_000; i += 1) counts[weighted(random, [1, 9])]! += 1;
    expect(counts[1]! / 10_000).toBeGreaterThan(0.85);
  });

  it('finds client addresses that geoip-lite places in the wanted countries', () => {
    const pools = countryPools(['US', 'DE', 'JP'], 5, seeded(1));
    for (const [country, ips] of pools) {
      expect(ips).toHaveLength(5);
      for (const ip of ips) expect(geoipLite(ip)?.country).toBe(country);
    }
  });
});
