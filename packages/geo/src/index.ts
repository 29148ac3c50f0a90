/**
 * `@keywatch/geo`: where an IP address is, from geoip-lite's bundled data (read into a compact form
 * about half geoip-lite's size, answering exactly as geoip-lite does; compact.ts), behind one
 * {@link GeoLookup} used by the ingest worker (row enrichment), the detector (locations) and the
 * traffic simulator (address pools).
 * @module
 */
export { geoipLite, geoipLiteReference, type GeoLocation, type GeoLookup } from './geo.js';
export { geoipLiteDataDir, loadCompactGeo } from './compact.js';
