import { z } from 'zod';

/** The gateway's decision on one request. */
export const Outcome = z.enum([
  'allowed',
  'missing_key',
  'malformed_key',
  'unknown_key',
  'revoked_key',
  'expired_key',
  'inactive_key',
  'environment_mismatch',
  'insufficient_scope',
  'ip_not_allowed',
  'origin_not_allowed',
  'rate_limited',
]);
export type Outcome = z.infer<typeof Outcome>;

/** The HTTP status a gateway returns for each outcome; `null` for `allowed`, which passes on upstream's. */
export const OUTCOME_STATUS = {
  allowed: null,
  missing_key: 401,
  malformed_key: 401,
  unknown_key: 401,
  revoked_key: 401,
  expired_key: 401,
  inactive_key: 401,
  environment_mismatch: 403,
  insufficient_scope: 403,
  ip_not_allowed: 403,
  origin_not_allowed: 403,
  rate_limited: 429,
} as const satisfies Readonly<Record<Outcome, 401 | 403 | 429 | null>>;

/** The status for `outcome`, or `null` when the upstream's status is returned (`allowed`). */
export function statusForOutcome(outcome: Outcome): number | null {
  return OUTCOME_STATUS[outcome];
}
