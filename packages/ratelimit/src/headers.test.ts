import { describe, expect, test } from 'vitest';
import { rateLimitHeaders } from './headers.js';
import type { RateLimitResult } from './limiter.js';

const result = (overrides: Partial<RateLimitResult>): RateLimitResult => ({
  allowed: true,
  limit: 100,
  remaining: 99,
  resetSeconds: 0.6,
  retryAfterSeconds: null,
  ...overrides,
});

describe('rateLimitHeaders', () => {
  test('an allowed request gets limit, remaining and reset, and no Retry-After', () => {
    expect(rateLimitHeaders(result({}))).toEqual({
      'RateLimit-Limit': '100',
      'RateLimit-Remaining': '99',
      'RateLimit-Reset': '1',
    });
  });

  test('a refused request also gets Retry-After', () => {
    const headers = rateLimitHeaders(
      result({ allowed: false, remaining: 0, resetSeconds: 60, retryAfterSeconds: 0.6 }),
    );
    expect(headers).toEqual({
      'RateLimit-Limit': '100',
      'RateLimit-Remaining': '0',
      'RateLimit-Reset': '60',
      'Retry-After': '1',
    });
  });

  test('seconds are rounded up, so waiting the advertised time is always enough', () => {
    const headers = rateLimitHeaders(
      result({ allowed: false, remaining: 0, resetSeconds: 59.001, retryAfterSeconds: 2.001 }),
    );
    expect(headers['RateLimit-Reset']).toBe('60');
    expect(headers['Retry-After']).toBe('3');
  });

  test('whole seconds stay as they are and a full bucket resets in 0', () => {
    expect(rateLimitHeaders(result({ remaining: 100, resetSeconds: 0 }))['RateLimit-Reset']).toBe('0');
    expect(
      rateLimitHeaders(result({ allowed: false, remaining: 0, resetSeconds: 5, retryAfterSeconds: 1 }))['Retry-After'],
    ).toBe('1');
  });

  test('a refusal no wait can cure (cost above the limit) gets no Retry-After', () => {
    expect(rateLimitHeaders(result({ allowed: false, remaining: 4, retryAfterSeconds: null }))).not.toHaveProperty(
      'Retry-After',
    );
  });

  test('every value is a non-negative integer string', () => {
    const headers = rateLimitHeaders(
      result({ allowed: false, remaining: -1, resetSeconds: -0.5, retryAfterSeconds: 0.0001 }),
    );
    for (const value of Object.values(headers)) expect(value).toMatch(/^\d+$/);
    expect(headers['RateLimit-Remaining']).toBe('0');
    expect(headers['Retry-After']).toBe('1');
  });
});
