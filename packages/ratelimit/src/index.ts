export {
  bucketKey,
  createRateLimiter,
  toRateLimitResult,
  type RateLimiter,
  type RateLimiterOptions,
  type RateLimitPolicy,
  type RateLimitResult,
} from './limiter.js';
export { GCRA_FUNCTIONS, gcraReply, type GcraReply } from './gcra.js';
export { rateLimitHeaders, type RateLimitHeaders } from './headers.js';
