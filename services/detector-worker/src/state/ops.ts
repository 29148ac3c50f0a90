/**
 * The state language of the detectors. Each event becomes one {@link Plan}: a list of operations
 * on named keys. Every key belongs to an entity (a key id, a tenant, an IP, a dedup key), and the
 * entity decides its state shard: a Redis Cluster hash slot (see redis-store.ts). All of one
 * entity's operations of one event run atomically, after the operations of that entity from the
 * batch's earlier events and before those of its later ones. Writes are guarded: the plan's `seen`
 * operation (on its message key) says whether the event is fresh, duplicate or late, and an event
 * already applied to a shard (a redelivery) changes nothing there, while its reads still run, so a
 * redelivered batch evaluates the same state again and re-raises what it had raised.
 *
 * Numbers are event-time milliseconds unless named otherwise; `t` is a key's TTL in wall seconds
 * (0: the store knows it was refreshed recently and skips the EXPIRE).
 */
export type Op =
  /**
   * Must come first. Marks `m` (the event id) seen, with score `s` (its time), in the set of its
   * message key, whose highest score is that key's watermark. An event more than `l` ms behind the
   * watermark is late: the plan stops there (nothing written, nothing read). Members older than the
   * lateness are dropped, since their redelivery would be late anyway. Result: 1 fresh, 0 duplicate, -1 late.
   */
  | { o: 'seen'; k: number; m: string; s: number; l: number; t: number }
  /**
   * Added by the Redis store at the start of an event's operations on a shard other than its
   * message key's: marks `m` applied on that shard (same trimming as `seen`, no lateness check:
   * late events never get this far). Result: 1 first application, 0 already applied.
   */
  | { o: 'ap'; k: number; m: string; s: number; l: number; t: number }
  /** HINCRBY (write). */
  | { o: 'hincr'; k: number; f: string; n: number; t: number }
  /** ZADD GT (write): member `m` keeps its highest score; members below `lo` go, then the lowest beyond `cap`. */
  | { o: 'zadd'; k: number; m: string; s: number; t: number; cap: number; lo: number }
  /** HSETNX (write). */
  | { o: 'hsetnx'; k: number; f: string; v: string; t: number }
  /** HMGET. Result: values (null where missing). */
  | { o: 'hmget'; k: number; f: string[] }
  /**
   * A window of counter buckets: HMGET of the fields `<metric><bucket>` for each metric of `m`
   * and each bucket `a..b` (inclusive), metric by metric. Result: as `hmget`'s. The same read, in
   * a few bytes instead of one field name per bucket.
   */
  | { o: 'hwin'; k: number; m: string[]; a: number; b: number }
  /**
   * ZCOUNT by score. With `ifAny`, only when the operation right before it (on the same entity)
   * returned members: otherwise skipped, result false (read as 0).
   */
  | { o: 'zcount'; k: number; min: number; max: number; ifAny?: boolean }
  /** ZRANGEBYSCORE with scores, at most `lim` members. Result: [member, score, member, score, …]. */
  | { o: 'zrange'; k: number; min: number; max: number; lim: number }
  /**
   * An hourly baseline of metric `m` in one hash: counts this event into hour `h` (when `n` is 1
   * and the hour is not folded yet; write), folds every hour before hour `c` into the EWMA
   * (weight `a`; the peak decays by `pd` per hour) and returns
   * [mean, var, hours folded, hour `h`'s count, hour `h - 1`'s count, peak]. One HMGET and one
   * HINCRBY per event; the fold (once per closed hour) reads and deletes the closed hours.
   */
  | { o: 'base'; k: number; m: string; h: number; c: number; a: number; pd: number; n: 0 | 1; t: number }
  /**
   * A key's geography of successful uses. Reads the countries of `kc` seen at or after `from` (at
   * most 100) and the fields `n` (successful uses), `first` and `loc` of `k`; then (write) stores
   * `v` (which starts with its time `s` and `|`) as `loc` unless the stored one is newer, counts
   * the use, sets `first` once, and records `country` at `s` in `kc` (members below `lo` go, then
   * the oldest beyond 100). Result: [[country, score, …], n, first, previous loc].
   */
  | { o: 'geo'; k: number; kc: number; country: string; s: number; v: string; from: number; lo: number; t: number };

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
