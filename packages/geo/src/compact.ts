import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import path from 'node:path';
import type { GeoLocation, GeoLookup } from './types.js';

/*
 * geoip-lite's city data (its files, its lookup semantics) in typed arrays of about half the size.
 * geoip-lite keeps its files whole in memory: 24 bytes per IPv4 range (start, end, location id,
 * lat, lon, radius), 48 per IPv6 range, 88 per location, about 108 MB per process, loaded when the
 * module is imported. Here an IPv4 range is its start and the index of its (location, lat, lon,
 * radius) tuple — 477k distinct tuples for 3.3M ranges; the ranges are sorted and do not overlap,
 * so a gap becomes a range of its own without data, and the end is the next start. IPv6 keeps the
 * 64 bits geoip-lite compares. A location keeps country, region and city (51 of its 88 bytes).
 * The files are read in small pieces, so building never holds them whole. compact.test.ts checks
 * every answer against geoip-lite's own lookup over the ranges' boundaries and random addresses.
 */

const V4_RECORD = 24;
const V6_RECORD = 48;
const LOCATION_RECORD = 88;
// Of a location record: country (2 bytes), region (3), then metro, eu, timezone, and city (46).
const LOCATION_KEPT = 2 + 3 + 46;
const NO_LOCATION = 0xffff_ffff;
// Of an IPv4 range's tuple index: a gap between geoip-lite's ranges (no answer), and a range of its
// data without a location (an empty answer).
const GAP = 0xffff_ffff;
const NO_TUPLE = 0xffff_fffe;

/** The private IPv4 ranges geoip-lite answers `null` for whatever its data says. */
const PRIVATE4: ReadonlyArray<readonly [number, number]> = [
  [0x0a00_0000, 0x0aff_ffff],
  [0xac10_0000, 0xac1f_ffff],
  [0xc0a8_0000, 0xc0a8_ffff],
];

/** Where geoip-lite's data files are (the package's `data/`). */
export function geoipLiteDataDir(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('geoip-lite/package.json')), 'data');
}

/** Growable columns of distinct (location, lat, lon, radius) tuples, found through an open-addressing table. */
class Tuples {
  // geoip-lite 2.0's city data has 477k distinct tuples: room for them without growing.
  location = new Uint32Array(1 << 19);
  lat = new Int32Array(1 << 19);
  lon = new Int32Array(1 << 19);
  area = new Uint32Array(1 << 19);
  size = 0;
  private slots = new Int32Array(1 << 21).fill(-1);

  index(location: number, lat: number, lon: number, area: number): number {
    const mask = this.slots.length - 1;
    let slot =
      (Math.imul(location ^ Math.imul(lat, 0x9e37_79b1) ^ Math.imul(lon, 0x85eb_ca6b), 0xc2b2_ae35) ^ area) & mask;
    for (;;) {
      const at = this.slots[slot]!;
      if (at === -1) break;
      if (this.location[at] === location && this.lat[at] === lat && this.lon[at] === lon && this.area[at] === area)
        return at;
      slot = (slot + 1) & mask;
    }
    if (this.size === this.location.length) this.grow();
    if (this.size * 2 > this.slots.length) {
      this.rehash();
      return this.index(location, lat, lon, area);
    }
    const at = this.size++;
    this.location[at] = location;
    this.lat[at] = lat;
    this.lon[at] = lon;
    this.area[at] = area;
    this.slots[slot] = at;
    return at;
  }

  /** Drops the hash table (views, not copies, of the columns: a copy would double them while building). */
  finish(): void {
    this.location = this.location.subarray(0, this.size);
    this.lat = this.lat.subarray(0, this.size);
    this.lon = this.lon.subarray(0, this.size);
    this.area = this.area.subarray(0, this.size);
    this.slots = new Int32Array(0);
  }

  private grow(): void {
    const n = this.location.length * 2;
    const copy = <T extends Uint32Array | Int32Array>(from: T, to: T) => (to.set(from), to);
    this.location = copy(this.location, new Uint32Array(n));
    this.lat = copy(this.lat, new Int32Array(n));
    this.lon = copy(this.lon, new Int32Array(n));
    this.area = copy(this.area, new Uint32Array(n));
  }

  private rehash(): void {
    const size = this.size;
    this.size = 0;
    this.slots = new Int32Array(this.slots.length * 2).fill(-1);
    const [location, lat, lon, area] = [this.location, this.lat, this.lon, this.area];
    this.location = new Uint32Array(location.length);
    this.lat = new Int32Array(lat.length);
    this.lon = new Int32Array(lon.length);
    this.area = new Uint32Array(area.length);
    for (let i = 0; i < size; i++) this.index(location[i]!, lat[i]!, lon[i]!, area[i]!);
  }
}

/** Calls `each` with every record of a file of fixed-size records, read a few thousand at a time. */
function forEachRecord(file: string, recordBytes: number, each: (buffer: Buffer, offset: number) => void): void {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const piece = Buffer.allocUnsafe(recordBytes * 16_384);
    for (let position = 0; position < size;) {
      const read = readSync(fd, piece, 0, Math.min(piece.length, size - position), position);
      if (read <= 0 || read % recordBytes !== 0) throw new Error(`${file}: truncated at byte ${position + read}`);
      for (let offset = 0; offset < read; offset += recordBytes) each(piece, offset);
      position += read;
    }
  } finally {
    closeSync(fd);
  }
}

const fileSize = (file: string) => {
  const fd = openSync(file, 'r');
  try {
    return fstatSync(fd).size;
  } finally {
    closeSync(fd);
  }
};

/** A field of a location record: up to its first NUL, as geoip-lite reads it. */
function field(buffer: Buffer, start: number, end: number): string {
  const nul = buffer.indexOf(0, start);
  return buffer.toString('utf8', start, nul >= start && nul < end ? nul : end);
}

/** IPv4 dotted quad to its 32-bit number (geoip-lite's `aton4`: no validation, `isIP` did that). */
function aton4(ip: string): number {
  let n = 0;
  let octet = 0;
  for (let i = 0; i <= ip.length; i++) {
    if (i === ip.length || ip.charCodeAt(i) === 46) {
      n = ((n << 8) | octet) >>> 0;
      octet = 0;
    } else octet = octet * 10 + (ip.charCodeAt(i) - 48);
  }
  return n;
}

/** The upper 64 bits of an IPv6 address as two 32-bit numbers, parsed as geoip-lite's `aton6` does. */
function aton6(ip: string): [number, number] {
  const parts: Array<string | number> = ip.replace(/"/g, '').split(':');
  const last = parts.length - 1;
  if (parts[last] === '') parts[last] = 0;
  if (last < 7) {
    const omitted = 8 - parts.length;
    const omitStart = parts.indexOf('');
    const omitEnd = omitStart + 8 - parts.length;
    for (let i = 7; i >= omitStart; i--) parts[i] = i > omitEnd ? parts[i - omitted]! : 0;
  }
  const word = (i: number) => {
    const part = parts[i];
    return part ? parseInt(String(part), 16) : 0;
  };
  return [((word(0) << 16) + word(1)) >>> 0, ((word(2) << 16) + word(3)) >>> 0];
}

const MAPPED = ['0:0:0:0:0:FFFF:', '::FFFF:'];

/**
 * Loads geoip-lite's city data from `dataDir` (default: the installed package's) into the compact
 * form and returns a lookup answering exactly as geoip-lite's `lookup` (mapped to {@link GeoLocation}).
 */
export function loadCompactGeo(dataDir: string = geoipLiteDataDir()): GeoLookup {
  const tuples = new Tuples();

  // IPv4: starts and tuple indexes, gaps as ranges without data.
  const v4Ranges = fileSize(path.join(dataDir, 'geoip-city.dat')) / V4_RECORD;
  let starts4 = new Uint32Array(v4Ranges + 8_192);
  let tuples4 = new Uint32Array(v4Ranges + 8_192);
  let n4 = 0;
  let nextStart = -1; // the address after the previous range's end
  let firstIP = 0;
  let lastIP = 0;
  const push4 = (start: number, tuple: number) => {
    if (n4 === starts4.length) {
      const grown = (from: Uint32Array) => {
        const to = new Uint32Array(from.length * 2);
        to.set(from);
        return to;
      };
      starts4 = grown(starts4);
      tuples4 = grown(tuples4);
    }
    starts4[n4] = start;
    tuples4[n4++] = tuple;
  };
  forEachRecord(path.join(dataDir, 'geoip-city.dat'), V4_RECORD, (b, o) => {
    const start = b.readUInt32BE(o);
    const end = b.readUInt32BE(o + 4);
    if (nextStart === -1) firstIP = start;
    else if (start < nextStart) throw new Error('geoip-city.dat: IPv4 ranges overlap or are out of order');
    else if (start > nextStart) push4(nextStart, GAP);
    const location = b.readUInt32BE(o + 8);
    push4(
      start,
      location === NO_LOCATION
        ? NO_TUPLE
        : tuples.index(location, b.readInt32BE(o + 12), b.readInt32BE(o + 16), b.readUInt32BE(o + 20)),
    );
    nextStart = end + 1;
    lastIP = end;
  });
  starts4 = starts4.subarray(0, n4);
  tuples4 = tuples4.subarray(0, n4);

  // IPv6: the 64 bits geoip-lite compares of start and end, and the tuple.
  const v6Ranges = fileSize(path.join(dataDir, 'geoip-city6.dat')) / V6_RECORD;
  const start6 = new Uint32Array(v6Ranges * 2);
  const end6 = new Uint32Array(v6Ranges * 2);
  const tuples6 = new Uint32Array(v6Ranges);
  let n6 = 0;
  forEachRecord(path.join(dataDir, 'geoip-city6.dat'), V6_RECORD, (b, o) => {
    start6[n6 * 2] = b.readUInt32BE(o);
    start6[n6 * 2 + 1] = b.readUInt32BE(o + 4);
    end6[n6 * 2] = b.readUInt32BE(o + 16);
    end6[n6 * 2 + 1] = b.readUInt32BE(o + 20);
    const location = b.readUInt32BE(o + 32);
    tuples6[n6++] =
      location === NO_LOCATION
        ? NO_TUPLE
        : tuples.index(location, b.readInt32BE(o + 36), b.readInt32BE(o + 40), b.readUInt32BE(o + 44));
  });
  tuples.finish();

  // Locations: country, region and city of each record.
  const names = readFileSync(path.join(dataDir, 'geoip-city-names.dat'));
  const locationCount = names.length / LOCATION_RECORD;
  const locations = Buffer.allocUnsafeSlow(locationCount * LOCATION_KEPT);
  for (let i = 0; i < locationCount; i++) {
    names.copy(locations, i * LOCATION_KEPT, i * LOCATION_RECORD, i * LOCATION_RECORD + 5);
    names.copy(locations, i * LOCATION_KEPT + 5, i * LOCATION_RECORD + 42, (i + 1) * LOCATION_RECORD);
  }

  const located = (tuple: number, whenNone: GeoLocation | null): GeoLocation | null => {
    if (tuple === NO_TUPLE) return whenNone;
    const at = tuples.location[tuple]! * LOCATION_KEPT;
    return {
      country: field(locations, at, at + 2),
      region: field(locations, at + 2, at + 5),
      city: field(locations, at + 5, at + LOCATION_KEPT),
      lat: tuples.lat[tuple]! / 10_000,
      lon: tuples.lon[tuple]! / 10_000,
      radiusKm: tuples.area[tuple]!,
    };
  };
  // A range without a location: geoip-lite answers an empty record, with 0, 0 for IPv6.
  const EMPTY4: GeoLocation = { country: '', region: '', city: '', lat: null, lon: null, radiusKm: null };
  const EMPTY6: GeoLocation = { country: '', region: '', city: '', lat: 0, lon: 0, radiusKm: null };

  const lookup4 = (ip: number): GeoLocation | null => {
    if (ip > lastIP || ip < firstIP) return null;
    for (const [low, high] of PRIVATE4) if (ip >= low && ip <= high) return null;
    // The last range starting at or before ip (ranges tile [firstIP, lastIP]).
    let low = 0;
    let high = n4 - 1;
    while (low < high) {
      const mid = (low + high + 1) >>> 1;
      if (starts4[mid]! <= ip) low = mid;
      else high = mid - 1;
    }
    const tuple = tuples4[low]!;
    return tuple === GAP ? null : located(tuple, { ...EMPTY4 });
  };

  const cmp6 = (hi: number, lo: number, array: Uint32Array, i: number) => {
    const h = array[i * 2]!;
    if (hi !== h) return hi < h ? -1 : 1;
    const l = array[i * 2 + 1]!;
    return lo === l ? 0 : lo < l ? -1 : 1;
  };
  const lookup6 = (hi: number, lo: number): GeoLocation | null => {
    if (n6 === 0 || cmp6(hi, lo, end6, n6 - 1) > 0 || cmp6(hi, lo, start6, 0) < 0) return null;
    // geoip-lite's own search, step for step, so that any quirk of the data answers the same.
    let fline = 0;
    let cline = n6 - 1;
    for (;;) {
      const line = (fline + cline) >>> 1;
      const afterFloor = cmp6(hi, lo, start6, line) >= 0;
      const beforeCeil = cmp6(hi, lo, end6, line) <= 0;
      if (afterFloor && beforeCeil) return located(tuples6[line]!, { ...EMPTY6 });
      if (fline === cline) return null;
      if (fline === cline - 1) {
        if (line === fline) fline = cline;
        else cline = fline;
      } else if (!afterFloor) cline = line;
      else fline = line;
    }
  };

  return (ip) => {
    if (!ip) return null;
    const version = isIP(ip);
    if (version === 4) return lookup4(aton4(ip));
    if (version !== 6) return null;
    const upper = ip.toUpperCase();
    for (const prefix of MAPPED) if (upper.startsWith(prefix)) return lookup4(aton4(upper.slice(prefix.length)));
    const [hi, lo] = aton6(ip);
    return lookup6(hi, lo);
  };
}
