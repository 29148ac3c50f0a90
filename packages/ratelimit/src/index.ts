export { createRateLimiter, type RateLimiter, type RateLimiterOptions, type RateLimitPolicy, type RateLimitResult } from './limiter.js';
export { rateLimitHeaders, type RateLimitHeaders } from './headers.js';
