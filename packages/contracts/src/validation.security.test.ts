import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AuthEvent } from './auth-event.js';
import { generateKey } from './keys.js';
import { authEventArb } from './testing.js';
import { decodeJson, formatIssues, validate } from './validation.js';

const secretArb = fc.constantFrom('publishable', 'secret').map((type) => generateKey({ type, environment: 'live' }));

describe('validation reasons never carry the input', () => {
  it('does not quote a credential sent as the whole body or inside broken JSON', () => {
    fc.assert(
      fc.property(
        secretArb,
        fc.constantFrom(
          '%s',
          '{"key": %s}',
          '{"key": "%s"',
          '[%s',
          '"%s" trailing',
          `{"pad": "${'x'.repeat(80)}", "k": %s}`,
        ),
        (key, shape) => {
          const result = decodeJson(AuthEvent, shape.replace('%s', key));
          expect(result.ok).toBe(false);
          // V8 quotes a few characters around the error position, so even the prefix must not show up.
          if (!result.ok) expect(formatIssues(result.issues)).not.toMatch(/[ps]k_live_/);
        },
      ),
    );
  });

  it('does not quote a credential put into any field', () => {
    fc.assert(
      fc.property(authEventArb, secretArb, (event, key) => {
        const poisoned = Object.fromEntries(Object.keys(event).map((field) => [field, key]));
        const result = validate(AuthEvent, poisoned);
        expect(result.ok).toBe(false);
        if (!result.ok) expect(formatIssues(result.issues, 100_000)).not.toContain(key.slice(8));
      }),
      { numRuns: 20 },
    );
  });
});
