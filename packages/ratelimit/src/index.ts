export { bucketKey, createRateLimiter, GCRA_LUA_FUNCTION, toRateLimitResult, type GcraReply, type RateLimiter, type RateLimiterOptions, type RateLimitPolicy, type RateLimitResult } from './limiter.js';
export { rateLimitHeaders, type RateLimitHeaders } from './headers.js';
