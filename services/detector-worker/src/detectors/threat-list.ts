import type { Detector } from './types.js';
import { subject } from './types.js';

/**
 * A request from an address on a threat list (platform lists from files, tenant lists from the
 * API): high when it succeeded, medium when it was refused. Matched per event by binary search
 * over the lists' merged ranges (`IpRangeSet`), without state.
 */
export const threatListIp: Detector = ({ event, ts, params, threat }) => {
  const p = params.threat_list_ip;
  if (!p.enabled || !threat) return undefined;
  const who = subject(event);
  const success = event.outcome === 'allowed';
  return () => [
    {
      type: 'threat_list_ip',
      severity: success ? 'high' : 'medium',
      dedupKey: `threat_list_ip:${who?.keyId ?? event.tenant_id ?? '-'}:${event.ip}`,
      suppressionMs: p.suppression_ms,
      tenantId: who?.tenantId ?? event.tenant_id,
      keyId: who?.keyId ?? null,
      ip: event.ip,
      windowStart: ts,
      windowEnd: ts,
      ts,
      summary: success
        ? `A request with key ${who?.keyId ?? '(none)'} succeeded from ${event.ip}, listed on ${threat.list} (${threat.entry}).`
        : `A refused request (${event.outcome}) came from ${event.ip}, listed on ${threat.list} (${threat.entry}).`,
      evidence: {
        list: threat.list,
        entry: threat.entry,
        outcome: event.outcome,
        route: event.route,
        user_agent: event.user_agent,
      },
    },
  ];
};
