/**
 * `@keywatch/gateway-sdk`: Keywatch's key verification for any Node API. Build the pipeline with
 * {@link createKeywatch} (verifier, route table, auth events), mount it with
 * {@link keywatchFastify} / {@link installKeywatch} or {@link keywatchMiddleware} (node:http,
 * Express), and keep its cache honest with {@link createCacheInvalidator} on `key-lifecycle`.
 * @module
 */
export { clientIp, ipAllowed, normalizeIp, originAllowed, presentedCredential, type TrustProxy } from './access.js';
export { KeyCache, type KeyCacheOptions, type KeyCacheStats } from './cache.js';
export { createCacheInvalidator, type CacheInvalidator, type CacheInvalidatorOptions } from './invalidation.js';
export { createKeywatch, type Decision, type Keywatch, type KeywatchOptions, type RequestInfo } from './keywatch.js';
export { installKeywatch, isPreflight, keywatchFastify, keywatchMiddleware, newRequestId, type KeywatchIncomingMessage, type KeywatchRouteConfig, type MiddlewareOptions } from './middleware.js';
export { createRouteTable, type RedisFailurePolicy, type RouteMatch, type RouteRule, type RouteTable } from './routes.js';
export { createDiskSpool, type DiskSpool, type DiskSpoolOptions } from './spool.js';
export { createVerifier, RedisTimeoutError, type KeyLookup, type Verification, type Verifier, type VerifierOptions, type VerifyInput } from './verifier.js';
