import { isIP } from 'node:net';
import { bool, defineConfig, duration, enumOf, int, list, optional, str } from '@keywatch/config';
import { DEFAULT_ROUTES_FILE } from '@keywatch/gateway-sdk';

const cidr = (item: string): string | undefined => {
  const [address = '', bits, extra] = item.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return 'expected an address or CIDR block';
  if (bits === undefined) return undefined;
  const n = Number(bits);
  return /^\d{1,3}$/.test(bits) && n <= (family === 4 ? 32 : 128) ? undefined : 'bad prefix length';
};

/** A caller's name in auth events (`gateway_id`): the same characters as the gateway's GATEWAY_ID. */
export const CALLER_NAME = /^[A-Za-z0-9._-]{1,100}$/;

/** The auth server's settings; documented in the README. */
export const authServerConfig = defineConfig({
  /** Listen address. Default 127.0.0.1; any other needs AUTH_SERVER_TOKEN. */
  AUTH_SERVER_HOST: str({ default: '127.0.0.1' }),
  /** Listen port. Default 8089. */
  AUTH_SERVER_PORT: int({ default: 8089, min: 0, max: 65_535 }),
  /** When set, every call but /healthz must carry `Keywatch-Auth-Token: <token>`. 16+ characters. */
  AUTH_SERVER_TOKEN: optional(str({}).refine((v) => v.length >= 16, 'must be at least 16 characters')),
  /** Proxies (addresses or CIDR blocks) whose X-Forwarded-For / X-Real-IP are believed. Default loopback. */
  AUTH_SERVER_TRUSTED_PROXIES: list({ default: ['127.0.0.1/32', '::1/128'], item: cidr }),
  /** The environment this server verifies for: keys of the other one get `environment_mismatch`. Default `live`. */
  AUTH_SERVER_ENVIRONMENT: enumOf(['dev', 'live'] as const, { default: 'live' }),
  /** JSON route → scope table, the reference gateway's format. Default: `packages/gateway-sdk/routes.json`. */
  AUTH_SERVER_ROUTES_FILE: str({ default: DEFAULT_ROUTES_FILE }),
  /** `gateway_id` of events whose caller names none (body `gateway_id`, header `X-Keywatch-Gateway-Id`). Default `auth-server-<hostname>`. */
  AUTH_SERVER_ID: optional(str({ pattern: CALLER_NAME })),
  /** Deployment secret for fingerprints of presented credentials (HMAC). Required, 16+ characters. */
  KEYWATCH_FINGERPRINT_SECRET: str({}).refine((v) => v.length >= 16, 'must be at least 16 characters'),
  /** The key service's pepper, if it uses one. */
  KEYWATCH_KEY_PEPPER: optional(str({})),
  /** Longest wait for Redis per call on the request path. Default 250ms. */
  AUTH_SERVER_REDIS_TIMEOUT: duration({ default: '250ms' }),
  /** Consecutive Redis failures that open the circuit breaker. Default 5. */
  AUTH_SERVER_REDIS_BREAKER_FAILURES: int({ default: 5, min: 1 }),
  /** How long the open breaker refuses Redis calls. Default 1s. */
  AUTH_SERVER_REDIS_BREAKER_OPEN: duration({ default: '1s' }),
  /** `combined` (default): a cache miss is one Lua call; `separate` on Redis Cluster. */
  AUTH_SERVER_MISS_PATH: enumOf(['combined', 'separate'] as const, { default: 'combined' }),
  /** Cached key records at most. Default 10000. */
  AUTH_SERVER_CACHE_MAX: int({ default: 10_000, min: 1 }),
  /** How long a cached record is trusted without a lifecycle event. Default 60s. */
  AUTH_SERVER_CACHE_TTL: duration({ default: '60s' }),
  /** How long an unknown key is remembered. Default 5s. */
  AUTH_SERVER_NEGATIVE_CACHE_TTL: duration({ default: '5s' }),
  /** Send auth events from a worker thread (encoding and network off the request loop). Default true. */
  AUTH_SERVER_EVENT_THREAD: bool({ default: true }),
  /** Auth events held in memory while Kafka is slow or down. Default 10000. */
  AUTH_SERVER_EVENT_BUFFER: int({ default: 10_000, min: 1 }),
  /** Hold allowed events of proxies that report the upstream's status afterwards (nginx over syslog) until their report. Default true. */
  AUTH_SERVER_STATUS_REPORTS: bool({ default: true }),
  /** UDP port for status reports, on AUTH_SERVER_HOST. Default: the HTTP port's number. */
  AUTH_SERVER_STATUS_PORT: optional(int({ min: 0, max: 65_535 })),
  /** How long a held event waits for its report before it goes out with status 200. Default 30s. */
  AUTH_SERVER_STATUS_WAIT: duration({ default: '30s' }),
  /** Serve /openapi.json. Default true. */
  AUTH_SERVER_OPENAPI: bool({ default: true }),
});
