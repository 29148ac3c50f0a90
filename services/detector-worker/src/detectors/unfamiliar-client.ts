import type { Detector } from './types.js';
import { formatDuration, subject, ttlFor } from './types.js';

/**
 * The family of a user agent: what kind of client it is, not its version. Browsers by engine
 * (`browser:chromium`, `browser:gecko`, `browser:webkit`); other clients by their first product
 * token, lower-cased (`curl`, `python-requests`, `go-http-client`, `acme-billing`); `none` without
 * a user agent. A version bump (`acme-billing/1.2` → `/1.3`, Chrome 120 → 121) is the same family.
 */
export function userAgentFamily(userAgent: string | null): string {
  if (userAgent === null || userAgent.trim() === '') return 'none';
  const ua = userAgent.trim();
  if (/^Mozilla\/\d/.test(ua)) {
    if (/\b(?:bot|crawler|spider)\b/i.test(ua)) return 'bot';
    if (/Firefox\//.test(ua)) return 'browser:gecko';
    if (/(?:Chrome|Chromium|CriOS|Edg)\//.test(ua)) return 'browser:chromium';
    if (/AppleWebKit\//.test(ua)) return 'browser:webkit';
    return 'browser:other';
  }
  const token = /^([A-Za-z][A-Za-z0-9._+-]{0,63})/.exec(ua)?.[1];
  return token ? token.toLowerCase() : 'other';
}

/**
 * A secret key past its learning period (event time since the key's first event), used
 * successfully with a user-agent family it has never used: a server key suddenly called from
 * `curl` or a browser engine. Families a key used during its learning period are its own.
 */
export const unfamiliarClient: Detector = ({ event, ts, params, firsts }, plan) => {
  const p = params.unfamiliar_client;
  const who = subject(event);
  if (!p.enabled || !who || event.key_type !== 'secret' || event.outcome !== 'allowed') return undefined;
  const family = userAgentFamily(event.user_agent);
  const keyFirst = firsts.read(plan, 'k', who.keyId);
  // Write-once per (key, family): the time this key first used the family (this event's, when new).
  const familyFirst = firsts.once(plan, `h:ua:${who.keyId}`, who.keyId, family, ts, ttlFor(p.memory_ms));
  return (results) => {
    const first = keyFirst(results);
    const since = familyFirst(results);
    const learnt = first > 0 && ts - first >= p.learning_ms;
    if (!learnt || since !== ts) return [];
    return [
      {
        type: 'unfamiliar_client',
        severity: 'medium',
        dedupKey: `unfamiliar_client:${who.keyId}:${family}`,
        suppressionMs: p.suppression_ms,
        tenantId: who.tenantId,
        keyId: who.keyId,
        ip: event.ip,
        windowStart: ts,
        windowEnd: ts,
        ts,
        summary: `Secret key ${who.keyId} was used by a kind of client it has never used (${family}), ${formatDuration(ts - first)} after its first use.`,
        evidence: {
          family,
          user_agent: event.user_agent,
          route: event.route,
          ip: event.ip,
          key_first_seen: new Date(first).toISOString(),
          learning_ms: p.learning_ms,
        },
      },
    ];
  };
};
