import type { Detector } from './types.js';
import { subject } from './types.js';

/** A secret key sent with a browser `Origin` (including `null`): leaked into client-side code. */
export const secretKeyClientSide: Detector = ({ event, ts, params }) => {
  const p = params.secret_key_client_side;
  const who = subject(event);
  if (!p.enabled || event.key_type !== 'secret' || event.origin === null || !who) return undefined;
  const origin = event.origin;
  return () => [
    {
      type: 'secret_key_client_side',
      severity: 'high',
      dedupKey: `secret_key_client_side:${who.keyId}:${origin}`,
      suppressionMs: p.suppression_ms,
      tenantId: who.tenantId,
      keyId: who.keyId,
      ip: event.ip,
      windowStart: ts,
      windowEnd: ts,
      ts,
      summary: `Secret key ${who.keyId} was sent from a browser (Origin ${origin || '(empty)'}); treat it as exposed.`,
      evidence: {
        origin,
        outcome: event.outcome,
        route: event.route,
        environment: event.environment,
        user_agent: event.user_agent,
        ip: event.ip,
      },
      ...(p.action === 'none' ? {} : { action: p.action }),
    },
  ];
};
