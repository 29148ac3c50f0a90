import type { AuthEvent } from './auth-event.js';
import { newEventId } from './ids.js';
import { statusForOutcome } from './outcomes.js';
import { toEventTime } from './time.js';

/**
 * A valid auth event for demos and tests: a fresh `event_id`, `ts` = now, an allowed
 * `GET /v1/subscriptions` by a dev secret key. `overrides` replace fields; an `undefined` override keeps
 * the default. Unless `status` is given it follows the outcome (200 for `allowed`).
 */
export function exampleAuthEvent(overrides: Partial<AuthEvent> = {}): AuthEvent {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- a Partial may hold explicit undefined values
  const given = Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined));
  const outcome = overrides.outcome ?? 'allowed';
  return {
    v: 1,
    event_id: newEventId(),
    ts: toEventTime(new Date()),
    gateway_id: 'gw-example',
    request_id: `req_${newEventId().slice(-12)}`,
    tenant_id: 'tenant_dev_abc123',
    key_id: 'key_example000000000000000000',
    key_type: 'secret',
    environment: 'dev',
    key_fingerprint: '0123456789abcdef',
    outcome,
    scope: 'subscriptions:read',
    method: 'GET',
    route: '/v1/subscriptions',
    status: statusForOutcome(outcome) ?? 200,
    latency_ms: 12.5,
    ip: '203.0.113.7',
    user_agent: 'keywatch-example/1.0',
    origin: null,
    rate_limit: { limit: 100, remaining: 99, window_s: 60 },
    ...given,
  };
}
