import type { RateLimitResult } from './limiter.js';

/**
 * The rate-limit response headers of docs/contracts.md#errors, values as strings. A type alias, not
 * an interface, so it can be passed where a `Record<string, string>` of headers is expected.
 */
export type RateLimitHeaders = {
  'RateLimit-Limit': string;
  'RateLimit-Remaining': string;
  /** Seconds until the bucket is full again. */
  'RateLimit-Reset': string;
  /** Only on a refusal that a later retry can pass. */
  'Retry-After'?: string;
};

// Whole seconds, rounded up: a client that waits the advertised time must not be refused again.
const seconds = (value: number): string => String(Math.max(0, Math.ceil(value)));

/**
 * `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` and, when refused, `Retry-After`, as
 * integers (seconds rounded up). A refused request whose cost exceeds the limit gets no
 * `Retry-After`: no wait would help.
 */
export function rateLimitHeaders(result: RateLimitResult): RateLimitHeaders {
  const headers: RateLimitHeaders = {
    'RateLimit-Limit': String(result.limit),
    'RateLimit-Remaining': String(Math.max(0, Math.floor(result.remaining))),
    'RateLimit-Reset': seconds(result.resetSeconds),
  };
  if (!result.allowed && result.retryAfterSeconds !== null) headers['Retry-After'] = seconds(result.retryAfterSeconds);
  return headers;
}
