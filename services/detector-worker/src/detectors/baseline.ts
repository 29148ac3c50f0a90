import { HOUR } from '../params.js';
import { asArray, asNumber, type Plan, type Results } from '../state/ops.js';
import { ttlFor, type FirstSeenBatch } from './types.js';

/** An entity's hourly EWMA baseline of one metric, with the current sliding hour. */
export interface Baseline {
  mean: number;
  sd: number;
  /** Hours folded into the baseline. */
  hours: number;
  /** Count over the last hour: this hour so far plus the previous hour's share of the sliding window. */
  lastHour: number;
  /** The highest hour seen, decaying with the configured half-life. */
  peak: number;
}

const BASELINE_TTL_S = ttlFor(14 * 24 * HOUR);

/** Key of an entity's baseline hash; it also keeps `first`, the entity's first event time. */
export const baselineKey = (scope: string, entity: string) => `b:${scope}:${entity}`;

/** How long this process trusts what it learnt of a write-once time (wall ms). */
const FIRST_SEEN_MEMO_MS = 10 * 60_000;
const FIRST_SEEN_MEMO_MAX = 200_000;

/**
 * Remembers write-once and only-earlier times (first event time, first success from an IP) so the
 * process skips writing or reading them again per event; entries are forgotten after a few minutes,
 * long before the hash's TTL.
 */
export class FirstSeenMemo {
  private readonly known = new Map<string, { value: number; at: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  private get(id: string, now = this.now()): { value: number; at: number } | undefined {
    const found = this.known.get(id);
    if (found && now - found.at > FIRST_SEEN_MEMO_MS) {
      this.known.delete(id);
      return undefined;
    }
    return found;
  }

  private set(id: string, value: number): void {
    if (this.known.size >= FIRST_SEEN_MEMO_MAX) this.known.clear();
    const prior = this.get(id);
    this.known.set(id, { value: value > 0 ? value : (prior?.value ?? 0), at: prior?.at ?? this.now() });
  }

  private setEarliest(id: string, ts: number): void {
    const prior = this.get(id);
    if (prior && prior.value > 0 && prior.value <= ts) return;
    if (this.known.size >= FIRST_SEEN_MEMO_MAX) this.known.clear();
    this.known.set(id, { value: ts, at: prior?.at ?? this.now() });
  }

  /** A batch's view: marks become known only once the batch's state was applied ({@link FirstSeenBatch.applied}). */
  batch(): FirstSeenBatch {
    const pending: Array<{ plan: Plan; id: string; earliest?: number }> = [];
    const memoId = (name: string, field: string) => `${name}#${field}`;
    // One clock reading per batch: the batch is planned in one go.
    const now = this.now();
    const mark = (plan: Plan, name: string, entity: string, field: string, value: number, ttlS: number) => {
      const id = memoId(name, field);
      // Every event of the batch writes it until the memo knows it is written: the first such event
      // may be late (its plan stops before any write). HSETNX again is harmless.
      if (this.get(id, now)) return;
      plan.add({ kind: 'hsetnx', key: plan.key(name, entity), field, value: String(value), ttlS });
      pending.push({ plan, id });
    };
    const read = (plan: Plan, name: string, entity: string, field: string) => {
      const id = memoId(name, field);
      const found = this.get(id, now);
      if (found && found.value > 0) return () => found.value;
      const at = plan.add({ kind: 'hmget', key: plan.key(name, entity), fields: [field] });
      return (results: Results) => {
        const value = asNumber(asArray(results[at])[0]);
        if (value > 0) this.set(id, value);
        return value;
      };
    };
    return {
      mark: (plan, scope, entity, ts) => mark(plan, baselineKey(scope, entity), entity, 'first', ts, BASELINE_TTL_S),
      read: (plan, scope, entity) => read(plan, baselineKey(scope, entity), entity, 'first'),
      once: (plan, name, entity, field, value, ttlS) => {
        mark(plan, name, entity, field, value, ttlS);
        return read(plan, name, entity, field);
      },
      readOnce: read,
      earliest: (plan, name, entity, member, ts, ttlS, cap) => {
        const id = memoId(name, member);
        const found = this.get(id, now);
        if (found && found.value > 0 && found.value <= ts) return;
        plan.add({
          kind: 'zadd',
          key: plan.key(name, entity),
          member,
          score: -ts,
          ttlS,
          cap,
          minScore: Number.MIN_SAFE_INTEGER,
        });
        pending.push({ plan, id, earliest: ts });
      },
      applied: (late) => {
        for (const { plan, id, earliest } of pending) {
          if (late.has(plan)) continue;
          if (earliest === undefined) this.set(id, 0);
          else this.setEarliest(id, earliest);
        }
      },
    };
  }
}

/**
 * Counts this event into the hourly series of `metric` and reads the baseline. Hours are folded
 * into the EWMA once closed in event time (their end plus the lateness has passed).
 */
export function trackBaseline(
  plan: Plan,
  scope: string,
  entity: string,
  metric: string,
  ts: number,
  options: { latenessMs: number; alpha: number; peakHalfLifeMs: number; count: boolean },
): (results: Results) => Baseline {
  const key = plan.key(baselineKey(scope, entity), entity);
  const hour = Math.floor(ts / HOUR);
  const foldBefore = Math.floor((ts - options.latenessMs) / HOUR);
  const peakDecay = 0.5 ** (HOUR / options.peakHalfLifeMs);
  const at = plan.add({
    kind: 'baseline',
    key,
    metric,
    hour,
    foldBefore,
    alpha: options.alpha,
    peakDecay,
    count: options.count,
    ttlS: BASELINE_TTL_S,
  });
  const elapsed = (ts - hour * HOUR) / HOUR;
  return (results) => {
    const [mean, variance, hours, current, previous, peak] = asArray(results[at]).map(asNumber);
    return {
      mean: mean ?? 0,
      sd: Math.sqrt(Math.max(0, variance ?? 0)),
      hours: hours ?? 0,
      lastHour: (current ?? 0) + (previous ?? 0) * (1 - elapsed),
      peak: peak ?? 0,
    };
  };
}

/** z-score with a floor on the deviation (Poisson-like, at least 1), so flat baselines do not make every change infinite. */
export function zScore(value: number, baseline: Baseline): number {
  const sd = Math.max(baseline.sd, Math.sqrt(Math.max(baseline.mean, 0)), 1);
  return (value - baseline.mean) / sd;
}
