import { dedupEntity, dedupKeyName } from '../state/store.js';
import { asArray, asNumber, asScored } from '../state/ops.js';
import type { Detector, Signal } from './types.js';
import { tally, windowsAround } from './windows.js';
import { INVALID_CREDENTIAL, SEVERITY_RANK, formatDuration, ttlFor } from './types.js';

const ipDedupKey = (ip: string) => `credential_stuffing:ip:${ip}`;

type Params = Parameters<Detector>[0]['params']['credential_stuffing'];
type Attempt = { score: number; member: string };

/**
 * The strongest verdict over the windows containing `ts` (see windowsAround), unless the source's
 * distinct successful keys outnumber its failed credentials (a NAT).
 */
function assess(p: Params, all: Attempt[], ts: number, successfulKeys: number) {
  let found: { high: boolean; items: Attempt[]; recentDistinct: number } | undefined;
  for (const items of windowsAround(all, ts, p.high_window_ms)) {
    const per = tally(items);
    if (items.length >= p.high_attempts && per.size >= p.high_distinct && Math.max(0, ...per.values()) <= p.high_max_per_credential) {
      found = { high: true, items, recentDistinct: 0 };
      break;
    }
  }
  if (!found) {
    for (const items of windowsAround(all, ts, p.medium_window_ms)) {
      const distinct = tally(items).size;
      if (distinct >= p.medium_distinct && distinct > (found?.recentDistinct ?? 0)) found = { high: false, items, recentDistinct: distinct };
    }
  }
  if (!found) return undefined;
  const attempts = found.items;
  const perCredential = tally(attempts);
  const distinct = perCredential.size;
  if (successfulKeys > distinct) return undefined;
  return {
    attempts,
    distinct,
    maxPer: Math.max(0, ...perCredential.values()),
    high: found.high,
    recentDistinct: found.high ? distinct : found.recentDistinct,
    successfulKeys,
    windowStart: attempts[0]?.score ?? ts,
    windowEnd: attempts[attempts.length - 1]?.score ?? ts,
  };
}

function successSignal(ip: string, keyId: string, tenantId: string, ts: number, attackStart: number, suppressionMs: number, action: 'suspend' | 'revoke'): Signal {
  return {
    type: 'credential_stuffing',
    severity: 'critical',
    dedupKey: `credential_stuffing:success:${ip}:${keyId}`,
    suppressionMs,
    tenantId,
    keyId,
    ip,
    windowStart: Math.min(attackStart, ts),
    windowEnd: Math.max(attackStart, ts),
    ts,
    summary: `Key ${keyId} authenticated successfully from ${ip}, an IP that was enumerating keys.`,
    evidence: { attack_started: new Date(attackStart).toISOString(), success_at: new Date(ts).toISOString(), source_alert_dedup_key: ipDedupKey(ip) },
    action,
  };
}

/**
 * Many distinct invalid credentials from one source IP. Medium: ≥ `medium_distinct` distinct in
 * `medium_window_ms`. High: ≥ `high_attempts` attempts over ≥ `high_distinct` distinct with at most
 * `high_max_per_credential` each in `high_window_ms`. Sources whose distinct successful keys
 * outnumber the failed credentials (a NAT with many users) are ignored. A success from a flagged
 * IP after the attack began is critical and asks for the key to be stopped; it is found in both
 * orders, since the success and the attack's events travel on different partitions.
 */
export const credentialStuffing: Detector = ({ event, ts, params, latenessMs }, plan) => {
  const p = params.credential_stuffing;
  if (!p.enabled) return undefined;
  const ip = event.ip;
  const okKey = plan.key(`z:ipok:${ip}`, ip);
  const span = Math.max(p.high_window_ms, p.medium_window_ms);

  if (event.outcome === 'allowed' && event.key_id !== null && event.tenant_id !== null) {
    const keyId = event.key_id;
    const tenantId = event.tenant_id;
    plan.add({ o: 'zadd', k: okKey, m: `${keyId}|${tenantId}`, s: ts, t: ttlFor(span), cap: p.max_tracked, lo: ts - span - latenessMs });
    const flagAt = plan.add({ o: 'hmget', k: plan.key(dedupKeyName(ipDedupKey(ip)), dedupEntity(ipDedupKey(ip))), f: ['first', 'last', 'sev'] });
    // The attempts themselves too: the attack may be in this very batch, before its alert exists.
    const recentAt = plan.add({ o: 'zrange', k: plan.key(`z:ipf:${ip}`, ip), min: ts - span, max: ts, lim: p.max_tracked });
    const okAt = plan.add({ o: 'zcount', k: okKey, min: ts - span, max: Number.MAX_SAFE_INTEGER });
    return (results) => {
      const [first, last, sev] = asArray(results[flagAt]).map(asNumber);
      if (first && last && (sev ?? 0) >= SEVERITY_RANK.medium && ts >= first && ts <= last + p.success_after_ms) {
        return [successSignal(ip, keyId, tenantId, ts, first, p.suppression_ms, p.success_action)];
      }
      const attempts = asScored(results[recentAt]).map((a) => ({ score: a.score, member: a.member.slice(0, a.member.lastIndexOf('|')) }));
      const lastAttempt = attempts[attempts.length - 1];
      const verdict = lastAttempt ? assess(p, attempts, lastAttempt.score, asNumber(results[okAt])) : undefined;
      return verdict ? [successSignal(ip, keyId, tenantId, ts, verdict.windowStart, p.suppression_ms, p.success_action)] : [];
    };
  }

  if (!INVALID_CREDENTIAL.has(event.outcome) || event.key_fingerprint === null) return undefined;
  const failKey = plan.key(`z:ipf:${ip}`, ip);
  plan.add({ o: 'zadd', k: failKey, m: `${event.key_fingerprint}|${event.event_id}`, s: ts, t: ttlFor(span), cap: p.max_tracked, lo: ts - span - latenessMs });
  const attemptsAt = plan.add({ o: 'zrange', k: failKey, min: ts - span, max: ts + span, lim: p.max_tracked });
  const successesAt = plan.add({ o: 'zrange', k: okKey, min: ts - span, max: Number.MAX_SAFE_INTEGER, lim: 200 });
  return (results) => {
    const all = asScored(results[attemptsAt]).map((a) => ({ score: a.score, member: a.member.slice(0, a.member.lastIndexOf('|')) }));
    const successes = asScored(results[successesAt]);
    const verdict = assess(p, all, ts, new Set(successes.map((s) => s.member.slice(0, s.member.indexOf('|')))).size);
    if (!verdict) return [];
    const { attempts, distinct, maxPer, high, recentDistinct, successfulKeys, windowStart, windowEnd } = verdict;
    const signals: Signal[] = [
      {
        type: 'credential_stuffing',
        severity: high ? 'high' : 'medium',
        dedupKey: ipDedupKey(ip),
        suppressionMs: p.suppression_ms,
        tenantId: null,
        keyId: null,
        ip,
        windowStart,
        windowEnd: Math.max(windowEnd, windowStart),
        ts,
        summary: `${ip} tried ${distinct} distinct invalid keys (${attempts.length} attempts) in ${Math.max(1, Math.round((windowEnd - windowStart) / 60_000))} minutes.`,
        evidence: {
          attempts: attempts.length,
          distinct_credentials: distinct,
          distinct_credentials_recent: recentDistinct,
          rule: high ? `>= ${p.high_attempts} attempts over >= ${p.high_distinct} distinct, <= ${p.high_max_per_credential} each, in ${formatDuration(p.high_window_ms)}` : `>= ${p.medium_distinct} distinct in ${formatDuration(p.medium_window_ms)}`,
          max_attempts_per_credential: maxPer,
          successful_keys: successfulKeys,
        },
      },
    ];
    // Successes seen before this evaluation (another partition got there first) that followed the attack's start.
    for (const s of successes) {
      if (s.score < windowStart) continue;
      const [keyId = '', tenantId = ''] = s.member.split('|');
      if (keyId && tenantId) signals.push(successSignal(ip, keyId, tenantId, s.score, windowStart, p.suppression_ms, p.success_action));
    }
    return signals;
  };
};
