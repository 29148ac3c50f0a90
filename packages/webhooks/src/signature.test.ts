import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signPayload, verifyWebhookSignature } from './signature.js';

const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);
const secret = fc.string({ minLength: 1, maxLength: 64 });

describe('Keywatch-Signature', () => {
  it('has the shape of docs/contracts.md#webhook-signature and the documented HMAC', async () => {
    const { createHmac } = await import('node:crypto');
    const header = signPayload(['whsec_a'], '{"x":1}', NOW);
    const t = Math.floor(NOW / 1000);
    expect(header).toBe(`t=${t},v1=${createHmac('sha256', 'whsec_a').update(`${t}.{"x":1}`).digest('hex')}`);
  });

  it('round-trips for any body and secret, and any other secret fails', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 2048 }),
        secret,
        secret,
        fc.integer({ min: -300, max: 300 }),
        (body, a, b, skew) => {
          const header = signPayload([a], body, NOW);
          expect(verifyWebhookSignature({ header, rawBody: body, secrets: a, now: NOW + skew * 1000 })).toEqual({
            ok: true,
            timestamp: Math.floor(NOW / 1000),
          });
          if (a !== b)
            expect(verifyWebhookSignature({ header, rawBody: body, secrets: b, now: NOW })).toMatchObject({
              ok: false,
              reason: 'no_matching_signature',
            });
        },
      ),
    );
  });

  it('any change to the body breaks it', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string(), secret, (body, extra, s) => {
        fc.pre(extra !== '');
        const header = signPayload([s], body, NOW);
        expect(verifyWebhookSignature({ header, rawBody: body + extra, secrets: s, now: NOW }).ok).toBe(false);
      }),
    );
  });

  it('during a rotation both secrets sign, and a receiver with either one verifies', () => {
    fc.assert(
      fc.property(fc.string(), secret, secret, (body, fresh, old) => {
        const header = signPayload([fresh, old], body, NOW);
        expect(header.match(/v1=/g)).toHaveLength(2);
        expect(verifyWebhookSignature({ header, rawBody: body, secrets: fresh, now: NOW }).ok).toBe(true);
        expect(verifyWebhookSignature({ header, rawBody: body, secrets: [old], now: NOW }).ok).toBe(true);
      }),
    );
  });

  it('refuses stale and future timestamps beyond the tolerance', () => {
    const header = signPayload(['s'], 'b', NOW);
    expect(verifyWebhookSignature({ header, rawBody: 'b', secrets: 's', now: NOW + 301_000 })).toMatchObject({
      ok: false,
      reason: 'stale_timestamp',
    });
    expect(verifyWebhookSignature({ header, rawBody: 'b', secrets: 's', now: NOW - 301_000 })).toMatchObject({
      ok: false,
      reason: 'stale_timestamp',
    });
    expect(
      verifyWebhookSignature({ header, rawBody: 'b', secrets: 's', now: NOW + 20_000, toleranceS: 10 }),
    ).toMatchObject({ ok: false, reason: 'stale_timestamp' });
  });

  it.each([
    [undefined],
    [''],
    ['v1=' + 'a'.repeat(64)],
    ['t=123'],
    ['t=abc,v1=' + 'a'.repeat(64)],
    ['t=1,t=2,v1=' + 'a'.repeat(64)],
    ['t=1,v1=zz'],
    ['garbage'],
    [['t=1,v1=' + 'a'.repeat(64), 't=1']],
  ])('refuses the malformed header %j', (header) => {
    expect(verifyWebhookSignature({ header, rawBody: 'b', secrets: 's', now: 1000 })).toMatchObject({
      ok: false,
      reason: 'malformed_header',
    });
  });

  it('ignores unknown schemes next to a valid v1', () => {
    const header = `${signPayload(['s'], 'b', NOW)},v2=whatever`;
    expect(verifyWebhookSignature({ header, rawBody: 'b', secrets: 's', now: NOW }).ok).toBe(true);
  });
});
