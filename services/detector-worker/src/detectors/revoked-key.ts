import { asScored } from '../state/ops.js';
import type { Detector } from './types.js';
import { readKeyIp } from './key-ips.js';
import { subject, ttlFor } from './types.js';

/**
 * Repeated use of a revoked or expired key: at least `min_uses` in `window_ms`. A revoked key is
 * medium, high from `spread_ips` source IPs; an expired key (expiry and missed rotations are
 * routine) low, medium from `spread_ips`. One exception: when every use comes from one IP the key
 * worked from while it was valid (see key-ips.ts), it is the owner's own forgotten client (a CI
 * job, a cron) retrying forever, which is one low item.
 */
export const revokedKeyInUse: Detector = ({ event, ts, params, latenessMs, firsts }, plan) => {
  const p = params.revoked_key_in_use;
  if (!p.enabled || (event.outcome !== 'revoked_key' && event.outcome !== 'expired_key')) return undefined;
  const who = subject(event);
  const id = who?.keyId ?? event.key_fingerprint;
  if (id === null) return undefined;
  const k = plan.key(`z:rv:${id}`, id);
  plan.add({
    kind: 'zadd',
    key: k,
    member: `${event.ip}|${event.event_id}`,
    score: ts,
    ttlS: ttlFor(p.window_ms),
    cap: 500,
    minScore: ts - p.window_ms - latenessMs,
  });
  const at = plan.add({ kind: 'zrange', key: k, min: ts - p.window_ms, max: ts, limit: 500 });
  const workedHere = who ? readKeyIp(plan, firsts, event.ip, who.keyId) : () => 0;
  const outcome = event.outcome;
  return (results) => {
    const uses = asScored(results[at]);
    if (uses.length < p.min_uses) return [];
    const ips = new Set(uses.map((u) => u.member.slice(0, u.member.lastIndexOf('|'))));
    const revoked = outcome === 'revoked_key';
    const ownClient = ips.size === 1 && workedHere(results) > 0;
    const severity =
      ips.size >= p.spread_ips ? (revoked ? 'high' : 'medium') : revoked && !ownClient ? 'medium' : 'low';
    const state = outcome === 'revoked_key' ? 'revoked' : 'expired';
    return [
      {
        type: 'revoked_key_in_use',
        severity,
        dedupKey: `revoked_key_in_use:${id}`,
        suppressionMs: p.suppression_ms,
        tenantId: who?.tenantId ?? null,
        keyId: who?.keyId ?? null,
        ip: ips.size === 1 ? event.ip : null,
        windowStart: uses[0]?.score ?? ts,
        windowEnd: ts,
        ts,
        summary: `${state === 'revoked' ? 'Revoked' : 'Expired'} key ${who?.keyId ?? `with fingerprint ${id}`} was presented ${uses.length} times from ${ips.size} IP${ips.size === 1 ? '' : 's'}.`,
        evidence: {
          key_state: state,
          uses: uses.length,
          distinct_ips: ips.size,
          ips: [...ips].slice(0, 20),
          window_ms: p.window_ms,
          from_former_ip: ownClient,
        },
      },
    ];
  };
};
