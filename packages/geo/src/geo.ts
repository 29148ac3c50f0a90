import { loadCompactGeo } from './compact.js';
import type { GeoLookup } from './types.js';

export type { GeoLocation, GeoLookup } from './types.js';

/**
 * geoip-lite's bundled GeoLite data, IPv4 and IPv6 (an IPv4-mapped IPv6 address is looked up as
 * IPv4), answering exactly as geoip-lite's own lookup, from the compact form of compact.ts (52 MB
 * instead of 108). Loaded when this module is first imported, as geoip-lite itself was: once per
 * process, before a worker takes its first event. No cache: callers cache what they derive from it.
 */
export const geoipLite: GeoLookup = loadCompactGeo();

/**
 * geoip-lite's own lookup, mapped the same way: the reference the compact form is checked against.
 * Importing geoip-lite loads its 108 MB into this process; tests and tools only.
 */
export function geoipLiteReference(geoip: { lookup(ip: string): unknown }): GeoLookup {
  return (ip) => {
    const found = geoip.lookup(ip) as {
      country: string;
      region: string;
      city: string;
      ll: [number | null, number | null];
      area?: number;
    } | null;
    if (!found) return null;
    const [lat, lon] = found.ll;
    return {
      country: found.country,
      region: found.region,
      city: found.city,
      lat: typeof lat === 'number' && Number.isFinite(lat) ? lat : null,
      lon: typeof lon === 'number' && Number.isFinite(lon) ? lon : null,
      // Undefined at runtime when the range has no location record (the typings say otherwise).
      radiusKm: typeof found.area === 'number' ? found.area : null,
    };
  };
}
