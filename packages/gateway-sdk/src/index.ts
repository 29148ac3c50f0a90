/**
 * `@keywatch/gateway-sdk`: Keywatch's key verification for any Node API. Build the pipeline with
 * {@link createKeywatch} (verifier, route table, auth events), mount it with
 * {@link keywatchFastify} / {@link installKeywatch} or {@link keywatchMiddleware} (node:http,
 * Express), and keep its cache honest with {@link createCacheInvalidator} on `key-lifecycle`.
 * @module
 */
// Reading the credential and the client address is key-auth's; re-exported as the SDK's surface.
export {
  clientIp,
  ipAllowed,
  normalizeIp,
  originAllowed,
  presentedCredential,
  type TrustProxy,
} from '@keywatch/key-auth';
export {
  BreakerOpenError,
  CircuitBreaker,
  type BreakerState,
  type BreakerStats,
  type CircuitBreakerOptions,
} from './breaker.js';
export { KeyCache, type KeyCacheOptions, type KeyCacheStats } from './cache.js';
export {
  createCacheInvalidator,
  startInvalidatorInBackground,
  type CacheInvalidator,
  type CacheInvalidatorOptions,
} from './invalidation.js';
export { createKeywatch, type Decision, type Keywatch, type KeywatchOptions, type RequestInfo } from './keywatch.js';
export { createGatewayMetrics, type GatewayMetrics } from './metrics.js';
// Request ids come from the contracts' one UUIDv7 generator; re-exported for the gateway service.
export {
  installKeywatch,
  isPreflight,
  keywatchFastify,
  keywatchMiddleware,
  type KeywatchIncomingMessage,
  type KeywatchRouteConfig,
  type MiddlewareOptions,
} from './middleware.js';
export {
  createLookupAndLimit,
  type LookupAndLimit,
  type LookupAndLimitOptions,
  type LookupAndLimitRequest,
  type LookupAndLimitResult,
} from './miss-path.js';
export {
  createRouteTable,
  type RedisFailurePolicy,
  type RouteMatch,
  type RouteRule,
  type RouteTable,
} from './routes.js';
export { createDiskSpool, type DiskSpool, type DiskSpoolOptions } from './spool.js';
export {
  createVerifier,
  RedisTimeoutError,
  unverifiable,
  type Degradation,
  type KeyLookup,
  type Verification,
  type Verifier,
  type VerifierOptions,
  type VerifyInput,
} from './verifier.js';
// For receivers of Keywatch's alert webhooks: verify `Keywatch-Signature` (docs/contracts.md#webhook-signature).
export {
  SIGNATURE_HEADER,
  signPayload,
  verifyWebhookSignature,
  type VerifyFailure,
  type VerifyOptions,
  type VerifyResult,
} from '@keywatch/webhooks/signature';
export { DEFAULT_ROUTES_FILE, loadRouteTable } from './route-file.js';
