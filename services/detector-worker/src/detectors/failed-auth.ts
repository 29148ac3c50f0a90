import { MINUTE } from '../params.js';
import { asNumber, type Plan, type Results } from '../state/ops.js';
import { trackBaseline, zScore, type Baseline } from './baseline.js';
import type { Detector, EventContext, Signal } from './types.js';
import { CROSS_PARTITION_SKEW_MS, FAILURES, formatDuration, readWindowSum, round, subject, ttlFor } from './types.js';

interface Scope {
  scope: 'k' | 't';
  entity: string;
  /**
   * What is counted as distinct for severity: for a key, the source IP of a failure that says
   * something about who holds it (set 'fd') or the scope a permission failure asked for (set 'fs');
   * for a tenant, the credential (set 'fd').
   */
  distinct: { set: 'fd' | 'fs'; member: string };
}

function track(ctx: EventContext, plan: Plan, s: Scope) {
  const p = ctx.params.failed_auth_spike;
  const { ts } = ctx;
  plan.add({
    kind: 'hincr',
    key: plan.key(`s:${s.scope}:${s.entity}:${MINUTE}:${Math.floor(Math.floor(ts / MINUTE) / 60)}`, s.entity),
    field: `f${Math.floor(ts / MINUTE)}`,
    by: 1,
    ttlS: ttlFor(p.window_ms),
  });
  const setKey = (set: 'fd' | 'fs') => plan.key(`z:${set}:${s.scope}:${s.entity}`, s.entity);
  // A tenant's failures come from many partitions (one per key or fingerprint); a key's from one.
  const keep = s.scope === 't' ? Math.max(ctx.latenessMs, CROSS_PARTITION_SKEW_MS) : ctx.latenessMs;
  plan.add({
    kind: 'zadd',
    key: setKey(s.distinct.set),
    member: s.distinct.member,
    score: ts,
    ttlS: ttlFor(p.window_ms + keep),
    cap: 500,
    minScore: ts - p.window_ms - keep,
  });
  const window = (w: { sum: number; start: number }) => ({ failures: w.sum, start: w.start });
  const sum = readWindowSum(plan, s.scope, s.entity, 'f', MINUTE, ts, p.window_ms);
  const distinctAt = plan.add({
    kind: 'zcount',
    key: setKey('fd'),
    min: ts - p.window_ms,
    max: Number.MAX_SAFE_INTEGER,
  });
  const scopesAt =
    s.scope === 'k'
      ? plan.add({ kind: 'zcount', key: setKey('fs'), min: ts - p.window_ms, max: Number.MAX_SAFE_INTEGER })
      : undefined;
  const baseline = trackBaseline(plan, s.scope, s.entity, 'f', ts, {
    latenessMs: ctx.latenessMs,
    alpha: p.alpha,
    peakHalfLifeMs: 7 * 24 * 60 * MINUTE,
    count: true,
  });
  const first = ctx.firsts.read(plan, s.scope, s.entity);
  return (results: Results) => ({
    ...window(sum(results)),
    distinct: asNumber(results[distinctAt]),
    scopes: scopesAt === undefined ? 0 : asNumber(results[scopesAt]),
    baseline: baseline(results),
    first: first(results),
  });
}

/** The floor, then (with a mature baseline of at least `min_baseline`) the z-score. */
function spikes(
  ctx: EventContext,
  failures: number,
  baseline: Baseline,
  first: number,
): { ok: boolean; z: number | null; mature: boolean } {
  const p = ctx.params.failed_auth_spike;
  if (failures < p.floor) return { ok: false, z: null, mature: false };
  const mature = first > 0 && ctx.ts - first >= p.history_ms;
  if (!mature || baseline.mean < p.min_baseline) return { ok: true, z: null, mature };
  const z = zScore(baseline.lastHour, baseline);
  return { ok: z >= p.z, z, mature };
}

/**
 * Failed authentication per key and per tenant: ≥ `floor` failures in a sliding window and, once
 * the entity has a week of history and a baseline ≥ `min_baseline`/h, a z-score ≥ `z` of the last
 * hour against the hourly EWMA. Per key, permission failures (`permission_outcomes`) count towards
 * the floor but raise the severity only by probing (`probe_scopes`); other failures raise it by
 * distinct source IPs. Why: README, "Why some rules are as they are".
 */
export const failedAuthSpike: Detector = (ctx, plan) => {
  const { event, params } = ctx;
  const p = params.failed_auth_spike;
  if (!p.enabled || !FAILURES.has(event.outcome) || event.tenant_id === null) return undefined;
  const who = subject(event);
  const permission = (p.permission_outcomes as readonly string[]).includes(event.outcome);
  const distinct = permission
    ? { set: 'fs' as const, member: event.scope ?? event.route }
    : { set: 'fd' as const, member: event.ip };
  const perKey =
    who && event.outcome !== 'revoked_key' && event.outcome !== 'expired_key'
      ? track(ctx, plan, { scope: 'k', entity: who.keyId, distinct })
      : undefined;
  const tenantId = event.tenant_id;
  const perTenant = track(ctx, plan, {
    scope: 't',
    entity: tenantId,
    distinct: { set: 'fd', member: event.key_fingerprint ?? event.key_id ?? event.ip },
  });
  return (results) => {
    const signals: Signal[] = [];
    const base = (entityLabel: string, r: ReturnType<ReturnType<typeof track>>, z: number | null) => ({
      windowStart: r.start,
      windowEnd: Math.max(ctx.ts, r.start),
      ts: ctx.ts,
      suppressionMs: p.suppression_ms,
      evidence: {
        failures: r.failures,
        window_ms: p.window_ms,
        floor: p.floor,
        baseline_mean: round(r.baseline.mean, 2),
        baseline_sd: round(r.baseline.sd, 2),
        baseline_hours: r.baseline.hours,
        last_hour: round(r.baseline.lastHour),
        z: z === null ? null : round(z, 2),
        subject: entityLabel,
      },
    });
    if (perKey && who) {
      const r = perKey(results);
      const verdict = spikes(ctx, r.failures, r.baseline, r.first);
      if (verdict.ok) {
        const severity =
          r.distinct >= p.high_ips
            ? 'high'
            : r.distinct >= p.medium_ips || r.scopes >= p.probe_scopes
              ? 'medium'
              : 'low';
        const b = base('key', r, verdict.z);
        signals.push({
          ...b,
          type: 'failed_auth_spike',
          severity,
          dedupKey: `failed_auth_spike:key:${who.keyId}`,
          tenantId: who.tenantId,
          keyId: who.keyId,
          ip: r.distinct === 1 && !permission ? event.ip : null,
          summary:
            r.distinct > 0
              ? `Key ${who.keyId} failed authentication ${r.failures} times in ${formatDuration(p.window_ms)} from ${r.distinct} IP${r.distinct === 1 ? '' : 's'}.`
              : `Key ${who.keyId} was refused ${r.failures} times in ${formatDuration(p.window_ms)} for ${r.scopes} scope${r.scopes === 1 ? '' : 's'} it does not hold.`,
          evidence: {
            ...b.evidence,
            distinct_ips: r.distinct,
            distinct_refused_scopes: r.scopes,
            last_outcome: event.outcome,
          },
        });
      }
    }
    const r = perTenant(results);
    const verdict = spikes(ctx, r.failures, r.baseline, r.first);
    if (verdict.ok && r.distinct >= p.tenant_min_distinct) {
      const b = base('tenant', r, verdict.z);
      signals.push({
        ...b,
        type: 'failed_auth_spike',
        severity: r.distinct >= p.tenant_high_distinct ? 'high' : r.distinct >= 3 ? 'medium' : 'low',
        dedupKey: `failed_auth_spike:tenant:${tenantId}`,
        tenantId,
        keyId: null,
        ip: null,
        summary: `Tenant ${tenantId} saw ${r.failures} failed authentications in ${formatDuration(p.window_ms)} across ${r.distinct} credentials.`,
        evidence: { ...b.evidence, distinct_credentials: r.distinct },
      });
    }
    return signals;
  };
};
