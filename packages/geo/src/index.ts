/**
 * `@keywatch/geo`: where an IP address is, from geoip-lite's bundled data, behind one
 * {@link GeoLookup} used by the ingest worker (row enrichment), the detector (locations) and the
 * traffic simulator (address pools).
 * @module
 */
export { geoipLite, type GeoLocation, type GeoLookup } from './geo.js';
