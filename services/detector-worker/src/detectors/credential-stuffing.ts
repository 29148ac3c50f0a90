import { dedupEntity, dedupKeyName } from '../state/store.js';
import { asArray, asNumber, asScored } from '../state/ops.js';
import { recordKeyIp } from './key-ips.js';
import type { Detector, Signal } from './types.js';
import { tally, windowsAround } from './windows.js';
import { CROSS_PARTITION_SKEW_MS, INVALID_CREDENTIAL, SEVERITY_RANK, formatDuration, ttlFor } from './types.js';

const ipDedupKey = (ip: string) => `credential_stuffing:ip:${ip}`;

/**
 * Keys' first successes from an IP: member `key|tenant`, score minus the event time, so that
 * ZADD GT keeps the earliest. Lives as long as the IP keeps succeeding (TTL refreshed by writes),
 * at most `max_tracked` keys.
 */
const firstsKey = (ip: string) => `z:ipfirst:${ip}`;

type Params = Parameters<Detector>[0]['params']['credential_stuffing'];
type Attempt = { score: number; member: string };

/**
 * The strongest verdict over the windows containing `ts` (see windowsAround), unless the source's
 * distinct successful keys outnumber its failed credentials (a NAT).
 */
function assess(p: Params, all: Attempt[], ts: number, successfulKeys: number) {
  let found: { high: boolean; items: Attempt[]; recentDistinct: number } | undefined;
  for (const window of windowsAround(all, ts, p.high_window_ms)) {
    // The rule's attempts are those of credentials tried at most `high_max_per_credential` times:
    // a stale client retrying one dead key from the same source does not hide the enumeration.
    const per = tally(window);
    const items = window.filter((i) => (per.get(i.member) ?? 0) <= p.high_max_per_credential);
    if (items.length >= p.high_attempts && tally(items).size >= p.high_distinct) {
      found = { high: true, items, recentDistinct: 0 };
      break;
    }
  }
  if (!found) {
    for (const items of windowsAround(all, ts, p.medium_window_ms)) {
      const distinct = tally(items).size;
      if (distinct >= p.medium_distinct && distinct > (found?.recentDistinct ?? 0))
        found = { high: false, items, recentDistinct: distinct };
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

function successSignal(
  ip: string,
  keyId: string,
  tenantId: string,
  ts: number,
  attackStart: number,
  suppressionMs: number,
  action: 'suspend' | 'revoke',
): Signal {
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
    evidence: {
      attack_started: new Date(attackStart).toISOString(),
      success_at: new Date(ts).toISOString(),
      source_alert_dedup_key: ipDedupKey(ip),
    },
    action,
  };
}

/**
 * Many distinct invalid credentials from one source IP: medium on `medium_distinct` in
 * `medium_window_ms`, high on `high_attempts` over `high_distinct` tried at most
 * `high_max_per_credential` times each. NAT-like sources (more distinct successful keys than failed
 * credentials) are ignored. A key's first success from a flagged IP after the attack began is
 * critical; it is found in either order, since the events travel on different partitions.
 */
export const credentialStuffing: Detector = ({ event, ts, params, latenessMs, firsts }, plan) => {
  const p = params.credential_stuffing;
  const ip = event.ip;
  // Where keys work from is kept whatever this detector's settings: revoked_key_in_use reads it too.
  const firstFromHere =
    event.outcome === 'allowed' && event.key_id !== null && event.tenant_id !== null && event.key_type !== 'publishable'
      ? recordKeyIp(plan, firsts, ip, event.key_id, ts)
      : () => ts;
  if (!p.enabled) return undefined;
  const okKey = plan.key(`z:ipok:${ip}`, ip);
  const span = Math.max(p.high_window_ms, p.medium_window_ms);
  // Attempts and successes of one IP come from many partitions (one per key or fingerprint).
  const keep = Math.max(latenessMs, CROSS_PARTITION_SKEW_MS);

  if (event.outcome === 'allowed' && event.key_id !== null && event.tenant_id !== null) {
    const keyId = event.key_id;
    const tenantId = event.tenant_id;
    plan.add({
      kind: 'zadd',
      key: okKey,
      member: `${keyId}|${tenantId}`,
      score: ts,
      ttlS: ttlFor(span + keep),
      cap: p.max_tracked,
      minScore: ts - span - keep,
    });
    firsts.earliest(plan, firstsKey(ip), ip, `${keyId}|${tenantId}`, ts, ttlFor(p.success_after_ms), p.max_tracked);
    const flagAt = plan.add({
      kind: 'hmget',
      key: plan.key(dedupKeyName(ipDedupKey(ip)), dedupEntity(ipDedupKey(ip))),
      fields: ['first', 'last', 'sev'],
    });
    // The attempts themselves too: the attack may be in this very batch, before its alert exists.
    const recentAt = plan.add({
      kind: 'zrange',
      key: plan.key(`z:ipf:${ip}`, ip),
      min: ts - span,
      max: ts,
      limit: p.max_tracked,
    });
    // The IP's successful keys matter only when it has recent failed attempts (nearly never).
    const okAt = plan.add({ kind: 'zcount', key: okKey, min: ts - span, max: Number.MAX_SAFE_INTEGER, ifAny: true });
    return (results) => {
      // A key that already worked from this IP before the attack began is one of its regular users (a NAT), not a find.
      const firstHere = firstFromHere(results) || ts;
      const [first, last, sev] = asArray(results[flagAt]).map(asNumber);
      if (first && last && (sev ?? 0) >= SEVERITY_RANK.medium && ts >= first && ts <= last + p.success_after_ms) {
        return firstHere >= first - latenessMs
          ? [successSignal(ip, keyId, tenantId, ts, first, p.suppression_ms, p.success_action)]
          : [];
      }
      const attempts = asScored(results[recentAt]).map((a) => ({
        score: a.score,
        member: a.member.slice(0, a.member.lastIndexOf('|')),
      }));
      const lastAttempt = attempts[attempts.length - 1];
      const verdict = lastAttempt ? assess(p, attempts, lastAttempt.score, asNumber(results[okAt])) : undefined;
      return verdict && firstHere >= verdict.windowStart - latenessMs
        ? [successSignal(ip, keyId, tenantId, ts, verdict.windowStart, p.suppression_ms, p.success_action)]
        : [];
    };
  }

  if (!INVALID_CREDENTIAL.has(event.outcome) || event.key_fingerprint === null) return undefined;
  const failKey = plan.key(`z:ipf:${ip}`, ip);
  plan.add({
    kind: 'zadd',
    key: failKey,
    member: `${event.key_fingerprint}|${event.event_id}`,
    score: ts,
    ttlS: ttlFor(span + keep),
    cap: p.max_tracked,
    minScore: ts - span - keep,
  });
  const attemptsAt = plan.add({ kind: 'zrange', key: failKey, min: ts - span, max: ts + span, limit: p.max_tracked });
  const successesAt = plan.add({
    kind: 'zrange',
    key: okKey,
    min: ts - span,
    max: Number.MAX_SAFE_INTEGER,
    limit: 200,
  });
  const firstsAt = plan.add({
    kind: 'zrange',
    key: plan.key(firstsKey(ip), ip),
    min: Number.MIN_SAFE_INTEGER,
    max: Number.MAX_SAFE_INTEGER,
    limit: p.max_tracked,
  });
  return (results) => {
    const all = asScored(results[attemptsAt]).map((a) => ({
      score: a.score,
      member: a.member.slice(0, a.member.lastIndexOf('|')),
    }));
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
          rule: high
            ? `>= ${p.high_attempts} attempts over >= ${p.high_distinct} distinct, <= ${p.high_max_per_credential} each, in ${formatDuration(p.high_window_ms)}`
            : `>= ${p.medium_distinct} distinct in ${formatDuration(p.medium_window_ms)}`,
          max_attempts_per_credential: maxPer,
          successful_keys: successfulKeys,
        },
      },
    ];
    // Successes seen before this evaluation (another partition got there first) that followed the attack's start.
    const firstHere = new Map(asScored(results[firstsAt]).map((f) => [f.member, -f.score]));
    for (const s of successes) {
      if (s.score < windowStart || (firstHere.get(s.member) ?? s.score) < windowStart - latenessMs) continue;
      const [keyId = '', tenantId = ''] = s.member.split('|');
      if (keyId && tenantId)
        signals.push(successSignal(ip, keyId, tenantId, s.score, windowStart, p.suppression_ms, p.success_action));
    }
    return signals;
  };
};
