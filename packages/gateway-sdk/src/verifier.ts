import {
  hashKey,
  keyFingerprint,
  parseKey,
  type KeyEnvironment,
  type KeyType,
  type Outcome,
  type Scope,
} from '@keywatch/contracts';
import { KeyStoreError, type KeyRecord, type KeyStore, type RateLimitPolicy } from '@keywatch/keystore';
import { keyRefusal, REFUSAL_STATUS, type Refusal } from '@keywatch/key-auth';
import type { Logger } from '@keywatch/logger';
import { LRUCache } from 'lru-cache';
import type { RateLimiter, RateLimitResult } from '@keywatch/ratelimit';
import { BreakerOpenError, CircuitBreaker, type BreakerState, type CircuitBreakerOptions } from './breaker.js';
import { KeyCache, type KeyCacheOptions } from './cache.js';
import type { LookupAndLimit, LookupAndLimitRequest } from './miss-path.js';
import type { RedisFailurePolicy } from './routes.js';

/** What the verifier reads from the keystore: a narrow slice of {@link KeyStore}. */
export type KeyLookup = Pick<KeyStore, 'getByHash' | 'touch'>;

/** Options of {@link createVerifier}. */
export interface VerifierOptions {
  /** The keystore (e.g. `createKeyStore({ redis })` on the key service's Redis and key prefix). */
  store: KeyLookup;
  /** The rate limiter (`createRateLimiter({ redis })`). */
  limiter: RateLimiter;
  /** The environment this gateway serves; keys of the other one get `environment_mismatch`. */
  environment: KeyEnvironment;
  /** KEYWATCH_FINGERPRINT_SECRET: HMAC secret for fingerprints of presented credentials. */
  fingerprintSecret: string;
  /** KEYWATCH_KEY_PEPPER, when the key service uses one (must be the same value). */
  pepper?: string;
  /** A cache to use, or options for a new one (see {@link KeyCacheOptions} for the defaults). */
  cache?: KeyCache | KeyCacheOptions;
  /**
   * The most a request waits for Redis (key lookup, then rate limit), each call raced against this
   * timer (default 250 ms). Set the client's own `commandTimeout` a little higher so abandoned
   * commands are cleaned up too. What happens then is the route's {@link RedisFailurePolicy}.
   */
  redisTimeoutMs?: number;
  /**
   * The circuit breaker in front of Redis (lookups, rate limits, last-use writes): it opens after
   * `failureThreshold` (default 5) consecutive failures or timeouts, refuses calls at once for
   * `openMs` (default 1 000 ms), then lets one request's call through as a probe; a success closes
   * it. While it is open a request pays nothing for Redis being down.
   */
  breaker?: CircuitBreakerOptions;
  /**
   * A cache miss in one Redis call (`createLookupAndLimit({ redis })`): lookup and the key's rate
   * limit together when the record shows the request will pass. Unset: lookup, then the limit
   * (two round trips). Leave unset on Redis Cluster.
   */
  lookupAndLimit?: LookupAndLimit;
  /** A key's `last_used_at` is written at most once per this interval per gateway (default 60 000 ms). */
  touchIntervalMs?: number;
  /**
   * How many recently presented well-formed credentials keep their hash, fingerprint and parsed
   * prefix in memory (default 10 000), so a busy key is not hashed on every request. The raw
   * credential is the lookup key of that in-process map: it is never logged or stored elsewhere.
   */
  credentialMemo?: number;
  /** Limit for keys without a `rate_limit` of their own; default `null` (not limited). */
  defaultRateLimit?: RateLimitPolicy | null;
  logger: Logger;
  /** Default `() => new Date()`. */
  clock?: () => Date;
}

/** What a request presented and needs. */
export interface VerifyInput {
  /** The presented credential (see `presentedCredential`), or null. */
  credential: string | null;
  /** Client address. */
  ip: string;
  /** The `Origin` header, if any. */
  origin: string | null;
  /** The scope the route needs; `null`: any valid key. */
  scope: Scope | null;
  /** What to do if Redis fails (default `closed`). */
  redisFailure?: RedisFailurePolicy;
}

/**
 * Why a request was decided without Redis: `redis_unavailable` (Redis failed, timed out or the
 * breaker is open) or `verification_failed` (an unexpected error, e.g. a corrupt record).
 */
export type Degradation = 'redis_unavailable' | 'verification_failed';

/**
 * The verifier's answer: always an outcome of docs/contracts.md#outcomes. A request that a fail-closed
 * route refuses because Redis cannot answer is `rate_limited` (429 with `Retry-After`, no
 * `rate_limit` state) with `degraded` set: the one contract refusal that tells the client its
 * credential was not judged and to come back later (see the README, "Redis outages").
 */
export interface Verification {
  outcome: Outcome;
  /** The status to answer with; `null` for `allowed` (the upstream's). */
  status: number | null;
  /** A short explanation for the client (never the key). */
  message: string;
  /** The key's record when it is known. */
  key: KeyRecord | null;
  /** From the prefix, when the credential parsed. */
  kind: { type: KeyType; environment: KeyEnvironment } | null;
  /** Fingerprint of the presented credential; null when none was presented. */
  fingerprint: string | null;
  /** The rate limiter's answer and the policy's window, when one was applied. */
  rateLimit: (RateLimitResult & { window_s: number }) | null;
  /** Set when the request was decided without Redis: let through (`open`) or refused (`closed`). */
  degraded: Degradation | null;
  /** Seconds for `Retry-After` on a refusal for lack of Redis (the rate limiter's own otherwise). */
  retryAfterSeconds: number | null;
  /** Whether the key record came from the cache (`hit`), Redis (`miss`), or neither. */
  cache: 'hit' | 'miss' | null;
}

/** The verification core: credential → decision. HTTP-agnostic; see the middlewares for HTTP. */
export interface Verifier {
  /** Decides one request. Never rejects for Redis trouble (refused with `degraded`, or allowed on `open`). */
  verify(input: VerifyInput): Promise<Verification>;
  readonly cache: KeyCache;
  /** The circuit breaker in front of Redis. */
  readonly breaker: CircuitBreaker;
  /** Counters: lookups in Redis, Redis failures and timeouts (calls the breaker refused are not counted), last-use writes. */
  stats(): { lookups: number; redisFailures: number; touches: number };
}

/** What the verifier derives from a well-formed credential (see `credentialMemo`). */
interface Credential {
  hash: string;
  fingerprint: string;
  kind: { type: KeyType; environment: KeyEnvironment };
}

/** Thrown (internally) when Redis does not answer within `redisTimeoutMs`. */
export class RedisTimeoutError extends Error {
  constructor(ms: number) {
    super(`redis did not answer within ${ms} ms`);
    this.name = 'RedisTimeoutError';
  }
}

/** `promise`, or a {@link RedisTimeoutError} after `ms`, whichever comes first. */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new RedisTimeoutError(ms)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

const MESSAGES: Record<Refusal, string> = {
  missing_key: 'send an API key as Authorization: Bearer <key> or X-Api-Key',
  malformed_key: 'the API key is malformed',
  unknown_key: 'unknown API key',
  revoked_key: 'this API key was revoked',
  expired_key: 'this API key has expired',
  inactive_key: 'this API key is not active',
  environment_mismatch: 'this API key belongs to another environment',
  insufficient_scope: 'this API key lacks the scope this call needs',
  ip_not_allowed: 'this API key may not be used from this address',
  origin_not_allowed: 'this API key may not be used from this origin',
  rate_limited: 'too many requests',
};

/** `base` refused with `outcome` (a module-level function: closures made per request cost measurable time). */
function refuse(base: Verification, outcome: Refusal): Verification {
  return { ...base, outcome, status: REFUSAL_STATUS[outcome], message: MESSAGES[outcome] };
}

/**
 * The fail-closed refusal when a request cannot be verified: `rate_limited` (429) with a
 * `Retry-After` of at least a second (the breaker's remaining open time when longer) and no
 * rate-limit state. Exported for the middlewares' last-resort error path.
 */
/** A verification before any check: the starting point every outcome is built from. */
export function pendingVerification(): Verification {
  return {
    outcome: 'allowed',
    status: null,
    message: 'ok',
    key: null,
    kind: null,
    fingerprint: null,
    rateLimit: null,
    degraded: null,
    retryAfterSeconds: null,
    cache: null,
  };
}

export function unverifiable(base: Verification, reason: Degradation, retryAfterMs = 0): Verification {
  const retryAfterSeconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return {
    ...base,
    outcome: 'rate_limited',
    status: 429,
    message: `the API key could not be verified right now; retry after ${retryAfterSeconds} s`,
    rateLimit: null,
    degraded: reason,
    retryAfterSeconds,
  };
}

/**
 * Creates the verifier. Order of checks: credential present → format and checksum (no lookup) →
 * record (cache, else Redis; unknown keys are cached negatively) → effective state (revoked,
 * expired incl. a rotated key past its grace, deactivated/suspended) → environment → IP →
 * origin → scope → rate limit (GCRA in Redis, only for requests that passed everything else).
 */
export function createVerifier(options: VerifierOptions): Verifier {
  const cache = options.cache instanceof KeyCache ? options.cache : new KeyCache(options.cache);
  const timeoutMs = options.redisTimeoutMs ?? 250;
  const touchIntervalMs = options.touchIntervalMs ?? 60_000;
  const clock = options.clock ?? (() => new Date());
  const log = options.logger.child({ component: 'verifier' });
  const breaker = new CircuitBreaker({
    ...options.breaker,
    // A corrupt record or a bad policy is a bug, not Redis failing: it must not open the breaker.
    isFailure: (error) => !(error instanceof KeyStoreError) && !(error instanceof RangeError),
    onStateChange(state: BreakerState, previous: BreakerState) {
      if (state === 'open')
        log.warn(
          { previous, open_ms: options.breaker?.openMs ?? 1000 },
          'redis circuit breaker opened: requests are decided without redis',
        );
      else if (state === 'closed') log.info({ previous }, 'redis circuit breaker closed');
      options.breaker?.onStateChange?.(state, previous);
    },
  });
  /** A Redis call on the request path: through the breaker, raced against the timeout. */
  const redisCall = <T>(call: () => Promise<T>): Promise<T> => breaker.run(() => within(call(), timeoutMs));
  const counts = { lookups: 0, redisFailures: 0, touches: 0 };
  // One lookup in flight per hash: a cold burst on one key costs Redis one round trip.
  const inflight = new Map<string, { epoch: number; promise: Promise<KeyRecord | null> }>();
  const lastTouch = new Map<string, number>();
  let lastFailureLog = -Infinity;
  // The raw credential strings of recently presented well-formed keys, in this process's memory
  // only (never logged or written anywhere), so that a busy key is hashed, fingerprinted and parsed
  // once rather than on every request: those were the hit path's largest costs.
  const credentials = new LRUCache<string, Credential>({ max: options.credentialMemo ?? 10_000 });

  /** Parses, hashes and fingerprints a credential; remembers a well-formed one. `null`: malformed. */
  function remember(credential: string): Credential | null {
    const parsed = parseKey(credential);
    if (!parsed.ok) return null;
    const known: Credential = {
      hash: hashKey(credential, options.pepper),
      fingerprint: keyFingerprint(options.fingerprintSecret, credential),
      kind: { type: parsed.type, environment: parsed.environment },
    };
    credentials.set(credential, known);
    return known;
  }

  function noteFailure(error: unknown, what: string): void {
    // Refused by the open breaker: nothing was tried (counted by the breaker).
    if (error instanceof BreakerOpenError) return;
    counts.redisFailures += 1;
    const now = Date.now();
    // One line per second at most: a Redis outage must not turn into a log flood.
    if (now - lastFailureLog >= 1000) {
      lastFailureLog = now;
      log.warn({ err: error, during: what, redis_failures: counts.redisFailures }, 'redis failed or timed out');
    }
  }

  /**
   * The record of `hash` from Redis. With `lookupAndLimit`, the caller that issues the call also
   * gets the key's rate limit taken in it (`limit`); callers joining a lookup in flight get `null`
   * and take their own.
   */
  async function lookup(
    hash: string,
    request: LookupAndLimitRequest,
  ): Promise<{ record: KeyRecord | null; limit: RateLimitResult | null }> {
    const epoch = cache.epoch();
    const pending = inflight.get(hash);
    if (pending && pending.epoch === epoch) return { record: await pending.promise, limit: null };
    counts.lookups += 1;
    const combined = options.lookupAndLimit;
    const call = combined
      ? redisCall(() => combined.run(hash, request))
      : redisCall(() => options.store.getByHash(hash)).then((record) => ({ record, limit: null }));
    const promise = call.then((result) => {
      cache.set(hash, result.record, epoch);
      return result.record;
    });
    const entry = { epoch, promise };
    inflight.set(hash, entry);
    const cleanup = () => {
      if (inflight.get(hash) === entry) inflight.delete(hash);
    };
    promise.then(cleanup, cleanup);
    return call;
  }

  function touch(key: KeyRecord, now: Date): void {
    const last = lastTouch.get(key.id);
    if (last !== undefined && now.getTime() - last < touchIntervalMs) return;
    // Bookkeeping must not be the call that probes a recovering Redis.
    if (breaker.refuses()) return;
    // Bounded: forgetting every timestamp costs at most one extra write per key.
    if (lastTouch.size >= 100_000) lastTouch.clear();
    lastTouch.set(key.id, now.getTime());
    counts.touches += 1;
    redisCall(() => options.store.touch(key.id, now)).catch((error: unknown) =>
      log.debug({ err: error, key_id: key.id }, 'could not record last use'),
    );
  }

  return {
    cache,
    breaker,
    stats: () => ({ ...counts }),
    async verify(input) {
      const base = pendingVerification();
      const failOpen = input.redisFailure === 'open';

      if (input.credential === null) return refuse(base, 'missing_key');
      const known = credentials.get(input.credential) ?? remember(input.credential);
      if (known === null)
        return {
          ...refuse(base, 'malformed_key'),
          fingerprint: keyFingerprint(options.fingerprintSecret, input.credential),
        };
      const { hash } = known;
      base.fingerprint = known.fingerprint;
      base.kind = known.kind;
      const now = clock();
      let key = cache.get(hash);
      // The rate limit already taken by a combined miss-path call (see `lookupAndLimit`).
      let taken: RateLimitResult | null = null;
      base.cache = key === undefined ? 'miss' : 'hit';
      if (key === undefined) {
        try {
          ({ record: key, limit: taken } = await lookup(hash, {
            environment: options.environment,
            scope: input.scope,
            hasOrigin: input.origin !== null,
            now,
          }));
        } catch (error) {
          // A corrupt record is not an outage: fail closed whatever the route says (the caller's error path).
          if (error instanceof KeyStoreError) throw error;
          noteFailure(error, 'lookup');
          if (!failOpen) return unverifiable(base, 'redis_unavailable', breaker.retryAfterMs());
          // Fail open with nothing known about the key: only its format was checked.
          return {
            ...base,
            degraded: 'redis_unavailable',
            message: 'allowed without verification (redis unavailable; route fails open)',
          };
        }
      }
      if (key === null) return refuse(base, 'unknown_key');
      base.key = key;

      const refusal = keyRefusal(key, {
        now,
        environment: options.environment,
        ip: input.ip,
        origin: input.origin,
        scope: input.scope,
      });
      if (refusal !== null) return refuse(base, refusal);

      const policy = key.rate_limit ?? options.defaultRateLimit ?? null;
      if (policy !== null) {
        try {
          const result = taken ?? (await redisCall(() => options.limiter.limit(`key:${key.id}`, policy)));
          base.rateLimit = { ...result, window_s: policy.window_s };
          if (!result.allowed) return { ...refuse(base, 'rate_limited'), rateLimit: base.rateLimit };
        } catch (error) {
          noteFailure(error, 'rate_limit');
          if (!failOpen) return unverifiable(base, 'redis_unavailable', breaker.retryAfterMs());
          base.degraded = 'redis_unavailable';
        }
      }
      touch(key, now);
      return base;
    },
  };
}
