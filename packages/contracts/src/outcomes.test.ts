import { describe, expect, it } from 'vitest';
import { OUTCOME_STATUS, Outcome, statusForOutcome } from './outcomes.js';

describe('outcomes', () => {
  it('map to the statuses of the contract', () => {
    expect(OUTCOME_STATUS).toEqual({
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
    });
    for (const outcome of Outcome.options) expect(statusForOutcome(outcome)).toBe(OUTCOME_STATUS[outcome]);
  });
});
