import { describe, expect, it } from 'vitest';
import { AuthEvent } from './auth-event.js';
import { exampleAuthEvent } from './examples.js';
import { Outcome, statusForOutcome } from './outcomes.js';
import { validate } from './validation.js';

describe('exampleAuthEvent', () => {
  it('is valid for every outcome, with the status that outcome returns', () => {
    for (const outcome of Outcome.options) {
      const event = exampleAuthEvent({ outcome });
      expect(validate(AuthEvent, event)).toEqual({ ok: true, value: event });
      expect(event.status).toBe(statusForOutcome(outcome) ?? 200);
    }
  });

  it('applies overrides but keeps defaults for undefined ones', () => {
    const event = exampleAuthEvent({ ip: '::1', key_id: null, outcome: undefined, status: 204 });
    expect(event).toMatchObject({ ip: '::1', key_id: null, outcome: 'allowed', status: 204 });
  });

  it('gives every event a fresh id', () => {
    expect(exampleAuthEvent().event_id).not.toBe(exampleAuthEvent().event_id);
  });
});
