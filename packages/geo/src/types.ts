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
