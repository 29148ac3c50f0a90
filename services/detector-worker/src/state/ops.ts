/**
 * The state language of the detectors. Each event becomes one {@link Plan}: a list of operations
 * on named keys, run atomically (one Lua call in Redis). Writes are guarded by the plan's `seen`
 * operation: an event already applied (a redelivery) changes nothing, while its reads still run,
 * so a redelivered batch evaluates the same state again and re-raises what it had raised.
 *
 * Numbers are event-time milliseconds unless named otherwise; `t` is a key's TTL in wall seconds.
 */
export type Op =
  /**
   * Must come first. Marks `m` (the event id) seen, with score `s` (its time), in the set of its
   * message key, whose highest score is that key's watermark. An event more than `l` ms behind the
   * watermark is late: the plan stops there (nothing written, nothing read). Members older than the
   * lateness are dropped, since their redelivery would be late anyway. Result: 1 fresh, 0 duplicate, -1 late.
   */
  | { o: 'seen'; k: number; m: string; s: number; l: number; t: number }
  /** HINCRBY (write). */
  | { o: 'hincr'; k: number; f: string; n: number; t: number }
  /** ZADD GT (write): member `m` keeps its highest score; members below `lo` go, then the lowest beyond `cap`. */
  | { o: 'zadd'; k: number; m: string; s: number; t: number; cap: number; lo: number }
  /** HSETNX (write). */
  | { o: 'hsetnx'; k: number; f: string; v: string; t: number }
  /** Stores `v` (which starts with its time `s` and `|`) in field `f` unless the stored one is newer (write). Result: the previous value or null. */
  | { o: 'hnewer'; k: number; f: string; s: number; v: string; t: number }
  /** HMGET. Result: values (null where missing). */
  | { o: 'hmget'; k: number; f: string[] }
  /** ZCOUNT by score. */
  | { o: 'zcount'; k: number; min: number; max: number }
  /** ZRANGEBYSCORE with scores, at most `lim` members. Result: [member, score, member, score, …]. */
  | { o: 'zrange'; k: number; min: number; max: number; lim: number }
  /** ZSCORE. */
  | { o: 'zscore'; k: number; m: string }
  /** Counts one event of metric `m` into hour `h` of a baseline hash, unless that hour is already folded (write). */
  | { o: 'bcount'; k: number; m: string; h: number; t: number }
  /**
   * Folds every hour of metric `m` before hour `c` into its EWMA (weight `a`; peak decays by `pd`
   * per hour) and returns the baseline: [mean, var, hours, current hour's count (hour `h`), previous hour's count, peak].
   */
  | { o: 'ewma'; k: number; m: string; h: number; c: number; a: number; pd: number; t: number };

/** One event's operations and the keys they name (1-based indexes into `keys`, as Lua's KEYS). */
export class Plan {
  readonly keys: string[] = [];
  readonly ops: Op[] = [];
  private readonly index = new Map<string, number>();

  /** The index of `name` in `keys`, adding it once. */
  key(name: string): number {
    let found = this.index.get(name);
    if (found === undefined) {
      this.keys.push(name);
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

export const asString = (value: unknown): string | null => (typeof value === 'string' ? value : typeof value === 'number' ? String(value) : null);

/** An array result; Lua's cjson writes an empty table as `{}`, read here as `[]`. */
export const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** [member, score, …] pairs. */
export function asScored(value: unknown): Array<{ member: string; score: number }> {
  const flat = asArray(value);
  const out: Array<{ member: string; score: number }> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push({ member: asString(flat[i]) ?? '', score: asNumber(flat[i + 1]) });
  return out;
}
