import fc from 'fast-check';
import { AuthEvent, authEventMessageKey } from './auth-event.js';
import { authEventArb } from './testing.js';
import { exampleAuthEvent } from './examples.js';
import { decodeJson, formatIssues } from './validation.js';
import { describe, expect, it } from 'vitest';
import { authEventMessage, decodeAuthEvent, encodeAuthEvent, isAuthEvent } from './auth-event-wire.js';

/** A deterministic pseudo-random stream (mulberry32), so a failure reproduces. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Values near every boundary the contract draws, and plainly wrong ones.
const CANDIDATES: unknown[] = [
  null,
  undefined,
  '',
  ' ',
  'x',
  0,
  -1,
  1,
  1.5,
  99,
  100,
  599,
  600,
  2 ** 53,
  Number.MAX_VALUE,
  true,
  [],
  {},
  [1],
  '2025-01-31T12:00:00.000Z',
  '2025-02-29T12:00:00.000Z',
  '2024-02-29T12:00:00.000Z',
  '2025-04-31T00:00:00.000Z',
  '2025-01-31T24:00:00.000Z',
  '2025-01-31T12:00:00Z',
  '2025-01-31t12:00:00.000z',
  '2025-13-01T00:00:00.000Z',
  '0000-01-01T00:00:00.000Z',
  '0190a3b4-5c6d-7e8f-9a0b-1c2d3e4f5a6b',
  '0190a3b4-5c6d-6e8f-9a0b-1c2d3e4f5a6b',
  '01ARZ3NDEKTSV4RRFFQ69G5FAV',
  '81ARZ3NDEKTSV4RRFFQ69G5FAV',
  '/v1/x',
  'v1/x',
  '/v1/x?a=1',
  '/v1/ x',
  '/',
  '8.8.8.8',
  '::1',
  '999.1.1.1',
  'allowed',
  'rate_limited',
  'nope',
  'secret',
  'publishable',
  'dev',
  'live',
  'prod',
  { limit: 1, remaining: 0, window_s: 60 },
  { limit: 1, remaining: 0, window_s: 0 },
  { limit: -1, remaining: 0, window_s: 1 },
  { limit: 1.5, remaining: 0, window_s: 1 },
  { limit: 1, window_s: 1 },
];

describe('isAuthEvent (the hot-path check)', () => {
  it('accepts the contract example and what the contract accepts around it', () => {
    expect(isAuthEvent(exampleAuthEvent())).toBe(true);
    expect(isAuthEvent({ ...exampleAuthEvent(), extra_field: 1 })).toBe(true);
    expect(
      isAuthEvent(
        exampleAuthEvent({
          tenant_id: null,
          key_id: null,
          key_type: null,
          environment: null,
          key_fingerprint: null,
          scope: null,
          user_agent: null,
          origin: null,
          rate_limit: null,
        }),
      ),
    ).toBe(true);
  });

  it('never accepts what the contract refuses: 20 000 events with fields set to boundary values', () => {
    const next = random(5);
    const fields = Object.keys(exampleAuthEvent());
    let accepted = 0;
    for (let i = 0; i < 20_000; i++) {
      const event: Record<string, unknown> = { ...exampleAuthEvent() };
      for (let k = 0; k < 1 + Math.floor(next() * 2); k++) {
        const field = fields[Math.floor(next() * fields.length)]!;
        const value = CANDIDATES[Math.floor(next() * CANDIDATES.length)];
        if (value === undefined) delete event[field];
        else event[field] = value;
      }
      const fast = isAuthEvent(event);
      const contract = AuthEvent.safeParse(event).success;
      if (fast) {
        accepted += 1;
        expect(contract, JSON.stringify(event)).toBe(true);
      }
    }
    expect(accepted).toBeGreaterThan(100); // the sample does reach the accepting side
  });
});

describe('decodeAuthEvent', () => {
  it('gives the contract’s own reasons for what it refuses', () => {
    const cases = [
      '',
      '{not json',
      '[]',
      '{}',
      JSON.stringify({ ...exampleAuthEvent(), ts: 'yesterday', status: 99 }),
      JSON.stringify({ ...exampleAuthEvent(), ip: 'nowhere' }),
    ];
    for (const text of cases) {
      const contract = decodeJson(AuthEvent, Buffer.from(text));
      expect(contract.ok).toBe(false);
      expect(decodeAuthEvent(Buffer.from(text))).toEqual({
        ok: false,
        reason: contract.ok ? '' : formatIssues(contract.issues),
      });
    }
    expect(decodeAuthEvent(Buffer.from([0xff, 0xfe, 0x7b]))).toEqual({ ok: false, reason: 'invalid UTF-8' });
    expect(decodeAuthEvent(null)).toEqual({ ok: false, reason: 'empty message' });
  });

  it('returns the event for a valid message, fast path or not', () => {
    const event = exampleAuthEvent();
    expect(decodeAuthEvent(Buffer.from(JSON.stringify(event)))).toEqual({ ok: true, event });
    // A byte-order mark is not JSON.parse's business; the contract's decoder drops it and accepts.
    expect(decodeAuthEvent(Buffer.from(`\ufeff${JSON.stringify(event)}`))).toEqual({ ok: true, event });
  });
});

describe('encodeAuthEvent / authEventMessage', () => {
  it('round-trips through decodeAuthEvent, fields in the contract order', () => {
    fc.assert(
      fc.property(authEventArb, (event) => {
        const message = authEventMessage(event);
        expect(message.key).toBe(authEventMessageKey(event));
        expect(message.value).toBe(encodeAuthEvent(event));
        expect(decodeAuthEvent(Buffer.from(message.value))).toEqual({ ok: true, event });
      }),
    );
  });

  it('writes the JSON of the event as built, byte for byte', () => {
    const event = exampleAuthEvent();
    expect(encodeAuthEvent(event)).toBe(JSON.stringify(event));
    expect(Object.keys(JSON.parse(encodeAuthEvent(event)) as object)).toEqual(Object.keys(AuthEvent.shape));
  });
});
