import { HOUR } from '../params.js';
import { asArray, asNumber, type Plan, type Results } from '../state/ops.js';
import { ttlFor } from './types.js';

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

/** Marks the entity's first event time (once). */
export function markFirstSeen(plan: Plan, scope: string, entity: string, ts: number): void {
  plan.add({ o: 'hsetnx', k: plan.key(baselineKey(scope, entity)), f: 'first', v: String(ts), t: BASELINE_TTL_S });
}

/** Reads the entity's first event time (0 when unknown). */
export function readFirstSeen(plan: Plan, scope: string, entity: string): (results: Results) => number {
  const at = plan.add({ o: 'hmget', k: plan.key(baselineKey(scope, entity)), f: ['first'] });
  return (results) => asNumber(asArray(results[at])[0]);
}

/**
 * Counts this event into the hourly series of `metric` and reads the baseline. Hours are folded
 * into the EWMA once closed in event time (their end plus the lateness has passed).
 */
export function trackBaseline(plan: Plan, scope: string, entity: string, metric: string, ts: number, options: { latenessMs: number; alpha: number; peakHalfLifeMs: number; count: boolean }): (results: Results) => Baseline {
  const k = plan.key(baselineKey(scope, entity));
  const hour = Math.floor(ts / HOUR);
  if (options.count) plan.add({ o: 'bcount', k, m: metric, h: hour, t: BASELINE_TTL_S });
  const close = Math.floor((ts - options.latenessMs) / HOUR);
  const decay = 0.5 ** (HOUR / options.peakHalfLifeMs);
  const at = plan.add({ o: 'ewma', k, m: metric, h: hour, c: close, a: options.alpha, pd: decay, t: BASELINE_TTL_S });
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
