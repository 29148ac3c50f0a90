/**
 * The state language of the detectors: each event becomes one {@link Plan}, a list of operations on
 * named keys. An entity's operations of one event run atomically and in batch order on its shard;
 * writes are guarded by the plan's `seen` op (a redelivery changes nothing, its reads still run).
 * `key` fields index {@link Plan.key}; numbers are event-time ms unless named otherwise.
 */
export type Op = SeenOp | HincrOp | ZaddOp | HsetnxOp | HmgetOp | WindowOp | ZcountOp | ZrangeOp | BaselineOp | GeoOp;

/**
 * Must come first. Marks `eventId` seen, scored by its time, in the set of its message key, whose
 * highest score is that key's watermark. An event more than `latenessMs` behind the watermark is
 * late: the plan stops there (nothing written, nothing read). Result: 1 fresh, 0 duplicate, -1 late.
 */
export interface SeenOp {
  kind: 'seen';
  key: number;
  eventId: string;
  ts: number;
  latenessMs: number;
  ttlS: number;
}

/** HINCRBY (write). */
export interface HincrOp {
  kind: 'hincr';
  key: number;
  field: string;
  by: number;
  ttlS: number;
}

/** ZADD GT (write): `member` keeps its highest score; members below `minScore` go, then the lowest beyond `cap`. */
export interface ZaddOp {
  kind: 'zadd';
  key: number;
  member: string;
  score: number;
  ttlS: number;
  cap: number;
  minScore: number;
}

/** HSETNX (write). */
export interface HsetnxOp {
  kind: 'hsetnx';
  key: number;
  field: string;
  value: string;
  ttlS: number;
}

/** HMGET. Result: values (null where missing). */
export interface HmgetOp {
  kind: 'hmget';
  key: number;
  fields: string[];
}

/**
 * A window of counter buckets: HMGET of the fields `<metric><bucket>` for each of `metrics` and
 * each bucket `fromBucket..toBucket` (inclusive), metric by metric. Result: as `hmget`'s.
 */
export interface WindowOp {
  kind: 'window';
  key: number;
  metrics: string[];
  fromBucket: number;
  toBucket: number;
}

/**
 * ZCOUNT by score. With `ifAny`, only when the operation right before it (on the same entity)
 * returned members: otherwise skipped, result false (read as 0).
 */
export interface ZcountOp {
  kind: 'zcount';
  key: number;
  min: number;
  max: number;
  ifAny?: boolean;
}

/** ZRANGEBYSCORE with scores, at most `limit` members. Result: [member, score, member, score, …]. */
export interface ZrangeOp {
  kind: 'zrange';
  key: number;
  min: number;
  max: number;
  limit: number;
}

/**
 * An hourly baseline of `metric` in one hash: counts this event into `hour` (when `count` and the
 * hour is not folded yet; write), folds every hour before `foldBefore` into the EWMA (weight
 * `alpha`; the peak decays by `peakDecay` per hour) and returns [mean, var, hours folded, this
 * hour's count, the previous hour's count, peak].
 */
export interface BaselineOp {
  kind: 'baseline';
  key: number;
  metric: string;
  hour: number;
  foldBefore: number;
  alpha: number;
  peakDecay: number;
  count: boolean;
  ttlS: number;
}

/**
 * A key's geography of successful uses: reads the countries seen since `since` (at most 100) and
 * `n`, `first`, `loc` of `key`; then stores `location` unless the stored one is newer, counts the
 * use and records `country` at `ts`. Result: [[country, score, …], n, first, previous loc].
 */
export interface GeoOp {
  kind: 'geo';
  key: number;
  countriesKey: number;
  country: string;
  ts: number;
  location: string;
  since: number;
  minScore: number;
  ttlS: number;
}

/** One event's operations and the keys they name (1-based indexes into `keys`, as Lua's KEYS). */
export class Plan {
  readonly keys: string[] = [];
  /** The entity each key belongs to (same index as `keys`): it decides the key's state shard. */
  readonly entities: string[] = [];
  readonly ops: Op[] = [];
  private readonly index = new Map<string, number>();

  /** The index of `name` (a key of `entity`'s state) in `keys`, adding it once. */
  key(name: string, entity: string): number {
    let found = this.index.get(name);
    if (found === undefined) {
      this.keys.push(name);
      this.entities.push(entity);
      found = this.keys.length;
      this.index.set(name, found);
    }
    return found;
  }

  /** Adds an operation; returns the position of its result. */
  add(op: Op): number {
    this.ops.push(op);
    return this.ops.length - 1;
  }
}

/** A plan's results, one per operation, as the state store returns them. */
export type Results = readonly unknown[];

export const asNumber = (value: unknown): number => {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : 0;
  return Number.isFinite(n) ? n : 0;
};

export const asString = (value: unknown): string | null =>
  typeof value === 'string' ? value : typeof value === 'number' ? String(value) : null;

/** An array result; Lua's cjson writes an empty table as `{}`, read here as `[]`. */
export const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** [member, score, …] pairs. */
export function asScored(value: unknown): Array<{ member: string; score: number }> {
  const flat = asArray(value);
  const out: Array<{ member: string; score: number }> = [];
  for (let i = 0; i + 1 < flat.length; i += 2)
    out.push({ member: asString(flat[i]) ?? '', score: asNumber(flat[i + 1]) });
  return out;
}
