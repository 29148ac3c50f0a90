import { z } from 'zod';

/**
 * IP addresses and CIDR blocks as numeric ranges: request search turns a CIDR into bounds for SQL,
 * the detector matches every event's address against trusted networks and threat lists. Pure
 * code (no `node:net`), so the console's web code can validate with it too.
 */

/** An inclusive range of addresses of one family. IPv4-mapped IPv6 (`::ffff:a.b.c.d`) counts as IPv4. */
export interface IpRange {
  family: 4 | 6;
  first: bigint;
  last: bigint;
}

/** The IPv4 address as a number (0 … 2^32 − 1), or -1 when `text` is not a dotted quad. */
export function ipv4ToNumber(text: string): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || part > 255) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots += 1;
      if (dots > 3) return -1;
    } else if (c >= 48 && c <= 57) {
      // A leading zero (`010`) is refused: some parsers read it as octal.
      if (digits === 1 && part === 0) return -1;
      part = part * 10 + (c - 48);
      digits += 1;
      if (digits > 3) return -1;
    } else return -1;
  }
  if (dots !== 3 || digits === 0 || part > 255) return -1;
  return value * 256 + part;
}

/** An IPv6 address as a 128-bit number, or null when `text` is not one (zone ids are refused). */
export function ipv6ToBigInt(text: string): bigint | null {
  if (text.length < 2 || text.length > 45 || !text.includes(':')) return null;
  let head = text;
  let tail4: number | null = null;
  const lastColon = text.lastIndexOf(':');
  if (text.indexOf('.', lastColon) !== -1) {
    tail4 = ipv4ToNumber(text.slice(lastColon + 1));
    if (tail4 < 0) return null;
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = head.split('::');
  if (halves.length > 2) return null;
  const group = (s: string) => (s === '' ? [] : s.split(':'));
  const left = group(halves[0] ?? '');
  const right = halves.length === 2 ? group(halves[1] ?? '') : [];
  const missing = 8 - left.length - right.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const groups = [...left, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...right];
  let value = 0n;
  for (const g of groups) {
    if (!/^[0-9A-Fa-f]{1,4}$/.test(g)) return null;
    value = (value << 16n) | BigInt(parseInt(g, 16));
  }
  if (tail4 !== null) value = (value & ~0xffffffffn) | BigInt(tail4);
  return value;
}

const MAPPED_PREFIX = 0xffffn << 32n;

/** An address as family and number; IPv4-mapped IPv6 addresses come back as IPv4. Null when invalid. */
export function parseIp(text: string): { family: 4 | 6; value: bigint } | null {
  const v4 = ipv4ToNumber(text);
  if (v4 >= 0) return { family: 4, value: BigInt(v4) };
  const v6 = ipv6ToBigInt(text);
  if (v6 === null) return null;
  if (v6 >> 32n === 0xffffn) return { family: 4, value: v6 & 0xffffffffn };
  return { family: 6, value: v6 };
}

/**
 * An address (`203.0.113.7`, `2001:db8::1`) or a CIDR block (`203.0.113.0/24`, `2001:db8::/32`)
 * as the range it covers; host bits below the prefix are ignored. Null when invalid.
 */
export function parseCidr(text: string): IpRange | null {
  const slash = text.indexOf('/');
  const address = parseIp(slash === -1 ? text : text.slice(0, slash));
  if (!address) return null;
  const bitsText = slash === -1 ? undefined : text.slice(slash + 1);
  const width = address.family === 4 ? 32 : 128;
  // A mapped address with a prefix counts in IPv6 bits (`::ffff:10.0.0.0/104` is 10.0.0.0/8).
  const mapped = slash !== -1 && address.family === 4 && text.includes(':');
  if (bitsText !== undefined && !/^\d{1,3}$/.test(bitsText)) return null;
  let bits = bitsText === undefined ? width : Number(bitsText);
  if (mapped) {
    if (bits < 96 || bits > 128) return null;
    bits -= 96;
  } else if (bits > width) return null;
  const hostBits = BigInt(width - bits);
  const first = (address.value >> hostBits) << hostBits;
  return { family: address.family, first, last: first | ((1n << hostBits) - 1n) };
}

/** The IPv4-mapped IPv6 form of an IPv4 range (`::ffff:a.b.c.d`), for matching stored IPv6 text. */
export function mappedRange(range: IpRange): IpRange {
  return range.family === 6
    ? range
    : { family: 6, first: MAPPED_PREFIX | range.first, last: MAPPED_PREFIX | range.last };
}

/** A zod string that must be an address or a CIDR block (IPv4 or IPv6). */
export const Cidr = z
  .string()
  .max(64)
  .refine((text) => parseCidr(text) !== null, 'must be an IPv4 or IPv6 address or CIDR block, e.g. 203.0.113.0/24');

/**
 * A set of address ranges with a label each, matched by binary search: O(log n) per address
 * whatever the number of blocks (a threat list of 100 000 entries costs about 17 comparisons).
 * Where blocks overlap, the one starting first keeps the shared addresses.
 */
export class IpRangeSet<L = string> {
  private readonly v4Starts: Float64Array;
  private readonly v4Ends: Float64Array;
  private readonly v4Labels: L[];
  private readonly v6: Array<{ first: bigint; last: bigint; label: L }>;
  readonly size: number;

  constructor(entries: Iterable<{ range: IpRange; label: L }>) {
    const v4: Array<{ first: number; last: number; label: L }> = [];
    const v6: Array<{ first: bigint; last: bigint; label: L }> = [];
    let size = 0;
    for (const { range, label } of entries) {
      size += 1;
      if (range.family === 4) v4.push({ first: Number(range.first), last: Number(range.last), label });
      else v6.push({ first: range.first, last: range.last, label });
    }
    this.size = size;
    const flat4 = disjoint(v4, (x) => x + 1);
    this.v4Starts = Float64Array.from(flat4.map((r) => r.first));
    this.v4Ends = Float64Array.from(flat4.map((r) => r.last));
    this.v4Labels = flat4.map((r) => r.label);
    this.v6 = disjoint(v6, (x) => x + 1n);
  }

  /** The label of the block containing `ip`, or undefined (also for text that is no address). */
  match(ip: string): L | undefined {
    const v4 = ipv4ToNumber(ip);
    if (v4 >= 0) return this.match4(v4);
    if (this.size === 0) return undefined;
    const parsed = parseIp(ip);
    if (!parsed) return undefined;
    if (parsed.family === 4) return this.match4(Number(parsed.value));
    let lo = 0;
    let hi = this.v6.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = this.v6[mid]!;
      if (parsed.value < r.first) hi = mid - 1;
      else if (parsed.value > r.last) lo = mid + 1;
      else return r.label;
    }
    return undefined;
  }

  private match4(value: number): L | undefined {
    let lo = 0;
    let hi = this.v4Starts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (value < this.v4Starts[mid]!) hi = mid - 1;
      else if (value > this.v4Ends[mid]!) lo = mid + 1;
      else return this.v4Labels[mid];
    }
    return undefined;
  }
}

/** Sorted, non-overlapping pieces of `ranges` (a block overlapping the one before keeps only what lies beyond it). */
function disjoint<N extends number | bigint, L>(
  ranges: Array<{ first: N; last: N; label: L }>,
  next: (x: N) => N,
): Array<{ first: N; last: N; label: L }> {
  const sorted = [...ranges].sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  const out: Array<{ first: N; last: N; label: L }> = [];
  for (const r of sorted) {
    const before = out[out.length - 1];
    if (!before || r.first > before.last) out.push({ ...r });
    else if (r.last > before.last) out.push({ first: next(before.last), last: r.last, label: r.label });
  }
  return out;
}
