import { geoipLite } from '@keywatch/geo';
import type { Random } from './random.js';

function isPublic(a: number, b: number): boolean {
  if (a === 0 || a === 10 || a === 127 || a >= 224) return false;
  if (a === 100 && b >= 64 && b < 128) return false;
  if (a === 169 && b === 254) return false;
  if (a === 172 && b >= 16 && b < 32) return false;
  if (a === 192 && b === 168) return false;
  return true;
}

/**
 * Client addresses per country, found by sampling public IPv4 addresses through geoip-lite (the
 * same data the ingest worker enriches with, so the simulated countries are the ones analytics
 * will show). Countries that yield nothing within the attempt budget get an empty pool.
 */
export function countryPools(
  countries: readonly string[],
  perCountry: number,
  random: Random,
  maxAttempts = 400_000,
): Map<string, string[]> {
  const pools = new Map(countries.map((c) => [c, [] as string[]]));
  let missing = countries.length;
  for (let attempt = 0; attempt < maxAttempts && missing > 0; attempt += 1) {
    const a = 1 + Math.floor(random() * 223);
    const b = Math.floor(random() * 256);
    if (!isPublic(a, b)) continue;
    const ip = `${a}.${b}.${Math.floor(random() * 256)}.${1 + Math.floor(random() * 254)}`;
    const country = geoipLite(ip)?.country;
    const pool = country === undefined ? undefined : pools.get(country);
    if (!pool || pool.length >= perCountry) continue;
    pool.push(ip);
    if (pool.length === perCountry) missing -= 1;
  }
  return pools;
}
