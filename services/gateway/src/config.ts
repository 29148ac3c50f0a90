import { bool, list, defineConfig, duration, enumOf, int, optional, str, url } from '@keywatch/config';

import { DEFAULT_ROUTES_FILE } from '@keywatch/gateway-sdk';

/** The reference gateway's settings; documented in the README. */
export const gatewayConfig = defineConfig({
  /** Listen address. Default 127.0.0.1. */
  GATEWAY_HOST: str({ default: '127.0.0.1' }),
  /** Listen port. Default 8088. */
  GATEWAY_PORT: int({ default: 8088, min: 0, max: 65_535 }),
  /** The environment this gateway serves: keys of the other one get `environment_mismatch`. Default `live`. */
  GATEWAY_ENVIRONMENT: enumOf(['dev', 'live'] as const, { default: 'live' }),
  /** Where allowed requests go. Unset: the gateway serves the demo routes (docs/contracts.md#reference-gateway) itself. */
  GATEWAY_UPSTREAM_URL: optional(url({ protocols: ['http', 'https'] })),
  /** JSON route → scope table. Default: `packages/gateway-sdk/routes.json`. */
  GATEWAY_ROUTES_FILE: str({ default: DEFAULT_ROUTES_FILE }),
  /** Take the client address from `X-Forwarded-For` (only behind your own proxy). Default false. */
  GATEWAY_TRUST_PROXY: bool({ default: false }),
  /** Proxies (addresses or CIDR blocks) whose X-Forwarded-For is believed, read right to left; wins over GATEWAY_TRUST_PROXY. Default: none. */
  GATEWAY_TRUSTED_PROXIES: list({ default: [] }),
  /** This instance's id in auth events and its lifecycle consumer group. Default `<hostname>-<pid>`. */
  GATEWAY_ID: optional(str({ pattern: /^[A-Za-z0-9._-]{1,100}$/ })),
  /** Deployment secret for fingerprints of presented credentials (HMAC). Required, 16+ characters. */
  KEYWATCH_FINGERPRINT_SECRET: str({}).refine((v) => v.length >= 16, 'must be at least 16 characters'),
  /** The key service's pepper, if it uses one (key hashes are then HMAC-SHA256(pepper, key)). */
  KEYWATCH_KEY_PEPPER: optional(str({})),
  /** Longest wait for Redis per call on the request path; then the route's Redis-down policy applies. Default 250ms. */
  GATEWAY_REDIS_TIMEOUT: duration({ default: '250ms' }),
  /** Consecutive Redis failures or timeouts that open the circuit breaker. Default 5. */
  GATEWAY_REDIS_BREAKER_FAILURES: int({ default: 5, min: 1 }),
  /** How long the open breaker refuses Redis calls before one request probes it. Default 1s. */
  GATEWAY_REDIS_BREAKER_OPEN: duration({ default: '1s' }),
  /**
   * `combined` (default): a cache miss is one Lua call (lookup and the key's rate limit) on a
   * single Redis; `separate`: lookup, then rate limit (use on Redis Cluster, where the keystore and
   * the rate-limit buckets live in different slots).
   */
  GATEWAY_MISS_PATH: enumOf(['combined', 'separate'] as const, { default: 'combined' }),
  /** Cached key records at most. Default 10000. */
  GATEWAY_CACHE_MAX: int({ default: 10_000, min: 1 }),
  /** How long a cached record is trusted without a lifecycle event (bounds staleness if Kafka is down). Default 60s. */
  GATEWAY_CACHE_TTL: duration({ default: '60s' }),
  /** How long an unknown key is remembered. Default 5s. */
  GATEWAY_NEGATIVE_CACHE_TTL: duration({ default: '5s' }),
  /**
   * Send auth events from a worker thread (encoding and network off the request event loop).
   * Default true; false sends from the main thread.
   */
  GATEWAY_EVENT_THREAD: bool({ default: true }),
  /** Auth events held in memory while Kafka is slow or down. Default 10000. */
  GATEWAY_EVENT_BUFFER: int({ default: 10_000, min: 1 }),
  /** When set, auth events that would be dropped are appended to this file (JSON lines) instead. */
  GATEWAY_EVENT_SPOOL_FILE: optional(str({})),
});
