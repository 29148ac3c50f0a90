import geoip from 'geoip-lite';

/** What the geo data knows of one address. */
export interface GeoLocation {
  /** ISO 3166-1 alpha-2; '' when the data has a range but no location for it. */
  country: string;
  /** ISO 3166-2 subdivision (up to 3 characters), or ''. */
  region: string;
  city: string;
  /** `null` when the data gives no coordinates (IPv6 ranges without a location give 0, 0). */
  lat: number | null;
  lon: number | null;
  /** Accuracy radius in km around lat/lon; `null` without a location. */
  radiusKm: number | null;
}

/** Looks one address up; `null` when the data has no range for it (private, reserved, unknown). */
export type GeoLookup = (ip: string) => GeoLocation | null;

/**
 * geoip-lite's bundled GeoLite data, IPv4 and IPv6 (an IPv4-mapped IPv6 address is looked up as
 * IPv4). The data is loaded on first import: about 150 MB in memory. No cache: callers cache what
 * they derive from it.
 */
export const geoipLite: GeoLookup = (ip) => {
  const found = geoip.lookup(ip);
  if (!found) return null;
  const [lat, lon] = found.ll;
  return {
    country: found.country,
    region: found.region,
    city: found.city,
    lat: Number.isFinite(lat) ? lat : null,
    lon: Number.isFinite(lon) ? lon : null,
    // Undefined at runtime when the range has no location record (the typings say otherwise).
    radiusKm: typeof found.area === 'number' ? found.area : null,
  };
};
