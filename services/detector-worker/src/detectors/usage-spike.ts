import { trackBaseline, zScore } from './baseline.js';
import type { Detector } from './types.js';
import { round, subject } from './types.js';

/**
 * A key's last hour of `allowed` requests far above its hourly EWMA: z ≥ `z`, ≥ `min_ratio` × the
 * mean, ≥ `min_per_hour`, after `history_ms`, and above `peak_ratio` × its decayed peak hour.
 * Refusals are other detectors' items (a revoked key retried would look like a spike).
 */
export const usageSpike: Detector = ({ event, ts, params, latenessMs, firsts }, plan) => {
  const p = params.usage_spike;
  const who = subject(event);
  if (!p.enabled || !who || event.outcome !== 'allowed') return undefined;
  const baseline = trackBaseline(plan, 'k', who.keyId, 'r', ts, {
    latenessMs,
    alpha: p.alpha,
    peakHalfLifeMs: p.peak_half_life_ms,
    count: true,
  });
  const first = firsts.read(plan, 'k', who.keyId);
  return (results) => {
    const firstSeen = first(results);
    if (firstSeen === 0 || ts - firstSeen < p.history_ms) return [];
    const b = baseline(results);
    const x = b.lastHour;
    const z = zScore(x, b);
    if (x < p.min_per_hour || x < p.min_ratio * b.mean || z < p.z || x < p.peak_ratio * b.peak) return [];
    return [
      {
        type: 'usage_spike',
        severity: 'medium',
        dedupKey: `usage_spike:${who.keyId}`,
        suppressionMs: p.suppression_ms,
        tenantId: who.tenantId,
        keyId: who.keyId,
        ip: null,
        windowStart: ts - 3_600_000,
        windowEnd: ts,
        ts,
        summary: `Key ${who.keyId} made ${Math.round(x)} requests in the last hour against a baseline of ${round(b.mean)} an hour.`,
        evidence: {
          last_hour: Math.round(x),
          baseline_mean: round(b.mean, 2),
          baseline_sd: round(b.sd, 2),
          baseline_hours: b.hours,
          peak_hour: round(b.peak),
          z: round(z, 2),
          ratio: b.mean > 0 ? round(x / b.mean, 1) : null,
        },
      },
    ];
  };
};
