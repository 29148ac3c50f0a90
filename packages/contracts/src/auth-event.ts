import { z } from 'zod';
import { ContractVersion, IpAddress, NonEmptyString } from './fields.js';
import { EventId } from './ids.js';
import { KeyEnvironment, KeyType } from './keys.js';
import { Outcome } from './outcomes.js';
import { EventTime } from './time.js';

/** A key's rate-limit state after a request. */
export const RateLimitState = z.object({
  limit: z.number().int().nonnegative(),
  remaining: z.number().int().nonnegative(),
  window_s: z.number().int().positive(),
});
export type RateLimitState = z.infer<typeof RateLimitState>;

/** A route template such as `/v1/customers/:id`. */
export const RouteTemplate = z
  .string()
  .regex(/^\//, 'must be a route template starting with /')
  // A query string is never part of a template and may carry ids or credentials.
  .refine((route) => !/[?#\s]/.test(route), 'must be a route template without query, fragment or spaces');

/** One request seen by a gateway (topic `auth-events`, docs/contracts.md#auth-event). */
export const AuthEvent = z.object({
  v: ContractVersion,
  event_id: EventId,
  ts: EventTime,
  gateway_id: NonEmptyString,
  request_id: NonEmptyString,
  tenant_id: NonEmptyString.nullable(),
  key_id: NonEmptyString.nullable(),
  key_type: KeyType.nullable(),
  environment: KeyEnvironment.nullable(),
  key_fingerprint: NonEmptyString.nullable(),
  outcome: Outcome,
  scope: NonEmptyString.nullable(),
  method: NonEmptyString,
  route: RouteTemplate,
  status: z.number().int().min(100).max(599),
  latency_ms: z.number().nonnegative(),
  ip: IpAddress,
  user_agent: z.string().nullable(),
  origin: z.string().nullable(),
  rate_limit: RateLimitState.nullable(),
});
export type AuthEvent = z.infer<typeof AuthEvent>;

/** The Kafka message key of an auth event: `key_id`, else `key_fingerprint`, else `ip`. */
export function authEventMessageKey(event: Pick<AuthEvent, 'key_id' | 'key_fingerprint' | 'ip'>): string {
  return event.key_id ?? event.key_fingerprint ?? event.ip;
}
