import type { BaselineOp, GeoOp, Op, Plan, Results } from './ops.js';
import { CLAIM_MS, dedupKeyName, type DedupRecord, type DedupRequest, type StateStore } from './store.js';

type Hash = Map<string, string>;
type ZSet = Map<string, number>;

/**
 * The state language run in process, with the semantics of the Lua scripts (TTLs aside): for unit
 * tests of the detectors with explicit event times. Never used against real engines.
 */
export class MemoryStore implements StateStore {
  readonly hashes = new Map<string, Hash>();
  readonly zsets = new Map<string, ZSet>();
  /** Highest score of each seen set (its watermark). */
  private readonly watermarks = new Map<string, number>();

  private hash(key: string): Hash {
    let h = this.hashes.get(key);
    if (!h) this.hashes.set(key, (h = new Map<string, string>()));
    return h;
  }

  private zset(key: string): ZSet {
    let z = this.zsets.get(key);
    if (!z) this.zsets.set(key, (z = new Map<string, number>()));
    return z;
  }

  private range(key: string, min: number, max: number): Array<[string, number]> {
    return [...this.zset(key).entries()]
      .filter(([, s]) => s >= min && s <= max)
      .sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
  }

  private run(plan: Plan): Results {
    let fresh = true;
    let late = false as boolean; // set inside step()
    const results: unknown[] = [];
    const step = (op: Op, i: number): unknown => {
      if (late) return false;
      const k = plan.keys[op.key - 1] ?? '';
      switch (op.kind) {
        case 'seen': {
          // Already processed comes before late (a redelivery is a duplicate however far the
          // watermark moved since); sets are not trimmed here (the Redis store trims after its hold).
          const z = this.zset(k);
          if (z.has(op.eventId)) {
            fresh = false;
            return 0;
          }
          const before = this.watermarks.get(k);
          if (before !== undefined && op.ts < before - op.latenessMs) {
            late = true;
            return -1;
          }
          z.set(op.eventId, op.ts);
          this.watermarks.set(k, Math.max(before ?? op.ts, op.ts));
          return 1;
        }
        case 'hincr': {
          if (fresh) {
            const h = this.hash(k);
            h.set(op.field, String(Number(h.get(op.field) ?? 0) + op.by));
          }
          return false;
        }
        case 'zadd': {
          if (fresh) this.zaddTrim(k, op.member, op.score, op.minScore, op.cap);
          return false;
        }
        case 'hsetnx': {
          if (fresh && !this.hash(k).has(op.field)) this.hash(k).set(op.field, op.value);
          return false;
        }
        case 'hmget': {
          const h = this.hash(k);
          return op.fields.map((f) => h.get(f) ?? false);
        }
        case 'window': {
          const h = this.hash(k);
          const out: Array<string | false> = [];
          for (const m of op.metrics)
            for (let b = op.fromBucket; b <= op.toBucket; b += 1) out.push(h.get(`${m}${b}`) ?? false);
          return out;
        }
        case 'zcount': {
          const before: unknown = i > 0 ? results[i - 1] : undefined;
          if (op.ifAny && !(Array.isArray(before) && before.length > 0)) return false;
          return this.range(k, op.min, op.max).length;
        }
        case 'zrange':
          return this.range(k, op.min, op.max)
            .slice(0, op.limit)
            .flatMap(([m, s]) => [m, String(s)]);
        case 'baseline':
          return this.base(k, op, fresh);
        case 'geo':
          return this.geo(k, plan.keys[op.countriesKey - 1] ?? '', op, fresh);
      }
    };
    plan.ops.forEach((op, i) => results.push(step(op, i)));
    return late ? [-1] : results;
  }

  private geo(k: string, kc: string, op: GeoOp, fresh: boolean): unknown[] {
    const known = this.range(kc, op.since, Number.POSITIVE_INFINITY)
      .slice(0, 100)
      .flatMap(([m, s]) => [m, String(s)]);
    const h = this.hash(k);
    const n = h.get('n');
    const first = h.get('first');
    const loc = h.get('loc');
    if (fresh) {
      const prevTs = loc === undefined ? undefined : Number(/^(\d+)/.exec(loc)?.[1]);
      if (prevTs === undefined || prevTs < op.ts) h.set('loc', op.location);
      h.set('n', String(Number(n ?? 0) + 1));
      if (first === undefined || Number(first) > op.ts) h.set('first', String(op.ts));
      this.zaddTrim(kc, op.country, op.ts, op.minScore, 100);
    }
    return [known, n ?? false, first ?? false, loc ?? false];
  }

  private zaddTrim(k: string, m: string, s: number, lo: number, cap: number): void {
    const z = this.zset(k);
    const cur = z.get(m);
    if (cur === undefined || s > cur) z.set(m, s);
    if (cur !== undefined) return;
    for (const [member, score] of z) if (score < lo) z.delete(member);
    const sorted = [...z.entries()].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
    for (const [member] of sorted.slice(0, Math.max(0, sorted.length - cap))) z.delete(member);
  }

  private base(k: string, op: BaselineOp, fresh: boolean): unknown[] {
    const h = this.hash(k);
    if (fresh && op.count) {
      if (!h.has(`${op.metric}:start`)) h.set(`${op.metric}:start`, String(op.hour));
      const last = h.get(`${op.metric}:last`);
      if (last === undefined || op.hour > Number(last)) {
        const f = `${op.metric}:h:${op.hour}`;
        h.set(f, String(Number(h.get(f) ?? 0) + 1));
      }
    }
    return this.ewma(k, op);
  }

  private ewma(k: string, op: BaselineOp): unknown[] {
    const h = this.hash(k);
    const get = (f: string) => h.get(`${op.metric}:${f}`);
    let mean = Number(get('mean') ?? 0);
    let variance = Number(get('var') ?? 0);
    let n = Number(get('n') ?? 0);
    let last = get('last') === undefined ? undefined : Number(get('last'));
    let lastx = Number(get('lastx') ?? 0);
    let peak = Number(get('peak') ?? 0);
    const start = get('start');
    if (start !== undefined) {
      let hour = last === undefined ? Number(start) : last + 1;
      let steps = 0;
      while (hour < op.foldBefore) {
        const field = `${op.metric}:h:${hour}`;
        const x = Number(h.get(field) ?? 0);
        h.delete(field);
        if (n === 0) {
          mean = x;
          variance = 0;
        } else {
          const diff = x - mean;
          const incr = op.alpha * diff;
          mean += incr;
          variance = (1 - op.alpha) * (variance + diff * incr);
        }
        peak = Math.max(x, peak * op.peakDecay);
        n += 1;
        lastx = x;
        last = hour;
        steps += 1;
        if (steps >= 2000) {
          last = op.foldBefore - 1;
          break;
        }
        hour += 1;
      }
      if (steps > 0) {
        for (const [f, v] of [
          ['mean', mean],
          ['var', variance],
          ['n', n],
          ['last', last],
          ['lastx', lastx],
          ['peak', peak],
        ] as const)
          h.set(`${op.metric}:${f}`, String(v));
      }
    }
    const cur = Number(h.get(`${op.metric}:h:${op.hour}`) ?? 0);
    const prevField = h.get(`${op.metric}:h:${op.hour - 1}`);
    const prev = prevField !== undefined ? Number(prevField) : last === op.hour - 1 ? lastx : 0;
    return [mean, variance, n, cur, prev, peak];
  }

  async apply(plans: readonly Plan[]): Promise<Results[]> {
    return plans.map((plan) => this.run(plan));
  }

  async dedup(requests: readonly DedupRequest[]): Promise<DedupRecord[]> {
    return requests.map((r) => {
      const h = this.hash(dedupKeyName(r.dedupKey));
      const num = (f: string) => Number(h.get(f) ?? 0);
      let record: DedupRecord;
      if (
        h.has('id') &&
        h.get('id') !== r.closing &&
        r.ts <= num('last') + r.suppressionMs &&
        r.ts >= num('first') - r.suppressionMs
      ) {
        record = {
          alertId: h.get('id') ?? '',
          firstTs: Math.min(num('first'), r.ts),
          lastTs: Math.max(num('last'), r.ts, r.windowEnd),
          severityRank: Math.max(num('sev'), r.severityRank),
          publishedRank: num('pub'),
          count: num('count') + r.repeats,
          windowStart: Math.min(num('ws'), r.windowStart),
          windowEnd: Math.max(num('we'), r.windowEnd),
          detectedAt: num('det'),
          created: false,
          publish: false,
        };
      } else {
        record = {
          alertId: r.candidateId,
          firstTs: r.ts,
          lastTs: Math.max(r.ts, r.windowEnd),
          severityRank: r.severityRank,
          publishedRank: 0,
          count: Math.max(1, r.repeats),
          windowStart: r.windowStart,
          windowEnd: r.windowEnd,
          detectedAt: r.detectedAt,
          created: true,
          publish: false,
        };
      }
      if (record.severityRank > record.publishedRank) {
        const now = Date.now();
        const held =
          h.has('csev') &&
          Number(h.get('csev')) >= record.severityRank &&
          h.get('cby') !== (r.claimant ?? '') &&
          Number(h.get('cat')) >= now - CLAIM_MS;
        if (record.created || !held) {
          record.publish = true;
          h.set('csev', String(record.severityRank));
          h.set('cby', r.claimant ?? '');
          h.set('cat', String(now));
        }
      }
      const fields: Array<[string, string | number]> = [
        ['id', record.alertId],
        ['first', record.firstTs],
        ['last', record.lastTs],
        ['sev', record.severityRank],
        ['pub', record.publishedRank],
        ['count', record.count],
        ['ws', record.windowStart],
        ['we', record.windowEnd],
        ['det', record.detectedAt],
      ];
      for (const [f, v] of fields) h.set(f, String(v));
      return record;
    });
  }

  async markPublished(entries: ReadonlyArray<{ dedupKey: string; rank: number }>): Promise<void> {
    for (const e of entries) {
      const h = this.hash(dedupKeyName(e.dedupKey));
      if (Number(h.get('pub') ?? 0) < e.rank) h.set('pub', String(e.rank));
    }
  }

  async size(): Promise<number> {
    return this.hashes.size + this.zsets.size;
  }

  async close(): Promise<void> {}
}
