import fc from 'fast-check';
import type { Alert } from './alert.js';
import { AlertAction, AlertType, Severity } from './alert.js';
import type { AuthEvent } from './auth-event.js';
import type { KeyLifecycleEvent } from './key-lifecycle.js';
import { KeyLifecycleType } from './key-lifecycle.js';
import { KeyEnvironment, KeyType } from './keys.js';
import { Outcome } from './outcomes.js';
import type { RevocationTrigger } from './revocation-trigger.js';
import { RequestedAction } from './revocation-trigger.js';
import { Scope } from './scopes.js';
import { toEventTime } from './time.js';

// Test-only: fast-check arbitraries of valid messages, exported as `@keywatch/contracts/testing`.

const nonEmpty = fc.string({ minLength: 1, maxLength: 24 });
const nullable = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | null> => fc.option(arb, { nil: null });
const instant = fc.date({
  min: new Date('2000-01-01T00:00:00Z'),
  max: new Date('2099-12-31T23:59:59Z'),
  noInvalidDate: true,
});

/** Valid event times. */
export const eventTimeArb: fc.Arbitrary<string> = instant.map(toEventTime);
/** Valid `event_id`s, UUIDv7 and ULID. */
export const eventIdArb: fc.Arbitrary<string> = fc.oneof(fc.uuid({ version: 7 }), fc.ulid());
/** Key ids as the key service mints them. */
export const keyIdArb: fc.Arbitrary<string> = fc.stringMatching(/^key_[A-Za-z0-9_-]{24}$/);
/** IPv4 and IPv6 addresses. */
export const ipArb: fc.Arbitrary<string> = fc.oneof(fc.ipV4(), fc.ipV6());
const routeArb = fc
  .array(fc.stringMatching(/^:?[a-z0-9_-]{1,12}$/), { maxLength: 4 })
  .map((segments) => `/${segments.join('/')}`);

/** Valid auth events. */
export const authEventArb: fc.Arbitrary<AuthEvent> = fc.record({
  v: fc.constant(1 as const),
  event_id: eventIdArb,
  ts: eventTimeArb,
  gateway_id: nonEmpty,
  request_id: nonEmpty,
  tenant_id: nullable(nonEmpty),
  key_id: nullable(keyIdArb),
  key_type: nullable(fc.constantFrom(...KeyType.options)),
  environment: nullable(fc.constantFrom(...KeyEnvironment.options)),
  key_fingerprint: nullable(fc.stringMatching(/^[0-9a-f]{16}$/)),
  outcome: fc.constantFrom(...Outcome.options),
  scope: nullable(fc.constantFrom(...Scope.options)),
  method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'),
  route: routeArb,
  status: fc.integer({ min: 100, max: 599 }),
  latency_ms: fc.double({ min: 0, max: 600_000, noNaN: true }).map((ms) => (ms === 0 ? 0 : ms)),
  ip: ipArb,
  user_agent: nullable(fc.string()),
  origin: nullable(fc.webAuthority().map((authority) => `https://${authority}`)),
  rate_limit: nullable(
    fc.record({ limit: fc.nat(), remaining: fc.nat(), window_s: fc.integer({ min: 1, max: 86_400 }) }),
  ),
});

/** Valid alerts, consistent across fields (window order, tenant for keys, key for actions). */
export const alertArb: fc.Arbitrary<Alert> = fc
  .record({
    alert_id: eventIdArb,
    type: fc.constantFrom(...AlertType.options),
    severity: fc.constantFrom(...Severity.options),
    tenant_id: nullable(nonEmpty),
    key_id: nullable(keyIdArb),
    ip: nullable(ipArb),
    window: fc.tuple(instant, instant).map(([a, b]) => (a <= b ? { start: a, end: b } : { start: b, end: a })),
    detected_at: instant,
    summary: nonEmpty,
    evidence: fc.dictionary(
      fc.stringMatching(/^[a-z][a-z_]{0,15}$/),
      fc.oneof(fc.integer(), fc.string(), fc.boolean(), fc.array(fc.string(), { maxLength: 3 })),
    ),
    dedup_key: nonEmpty,
    action: fc.constantFrom(...AlertAction.options),
  })
  .map(({ window: { start, end }, detected_at, ...alert }) => {
    const key_id = alert.tenant_id === null ? null : alert.key_id;
    return {
      v: 1 as const,
      ...alert,
      key_id,
      action: key_id === null ? ('none' as const) : alert.action,
      window_start: toEventTime(start),
      window_end: toEventTime(end),
      detected_at: toEventTime(detected_at),
    };
  });

/** Valid revocation triggers. */
export const revocationTriggerArb: fc.Arbitrary<RevocationTrigger> = fc.record({
  v: fc.constant(1 as const),
  trigger_id: eventIdArb,
  ts: eventTimeArb,
  tenant_id: nonEmpty,
  key_id: keyIdArb,
  alert_id: eventIdArb,
  reason: fc.constantFrom(...AlertType.options),
  requested_action: fc.constantFrom(...RequestedAction.options),
});

/** Valid key lifecycle events. */
export const keyLifecycleEventArb: fc.Arbitrary<KeyLifecycleEvent> = fc.record({
  v: fc.constant(1 as const),
  event_id: eventIdArb,
  ts: eventTimeArb,
  tenant_id: nonEmpty,
  key_id: keyIdArb,
  type: fc.constantFrom(...KeyLifecycleType.options),
  actor: nonEmpty,
  reason: nullable(fc.string()),
});

/** A copy of `message` with `field` set to `value`, or left out when `value` is `undefined`. */
export function withField(message: object, field: string, value: unknown): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...message, [field]: value };
  // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- builds a malformed event without the named field
  if (value === undefined) delete copy[field];
  return copy;
}
