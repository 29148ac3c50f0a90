import { hashKey, keyFingerprint, parseKey, type KeyEnvironment, type KeyType, type Outcome, type Scope } from '@keywatch/contracts';
import { effectiveState, type KeyRecord, type KeyStore, type RateLimitPolicy } from '@keywatch/keystore';
import type { Logger } from '@keywatch/logger';
import type { RateLimiter, RateLimitResult } from '@keywatch/ratelimit';
import { ipAllowed, originAllowed } from './access.js';
import { KeyCache, type KeyCacheOptions } from './cache.js';
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
  /** A key's `last_used_at` is written at most once per this interval per gateway (default 60 000 ms). */
  touchIntervalMs?: number;
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
 * The verifier's answer. `outcome` is a CONTRACTS.md section 2 outcome, or `unavailable` when
 * Redis failed on a fail-closed route (answered 503; no auth event: the contract has no outcome
 * for "could not decide", see the README).
 */
export interface Verification {
  outcome: Outcome | 'unavailable';
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
  /** Set when a Redis failure was tolerated (`open`) or refused (`unavailable`). */
  degraded: 'redis_unavailable' | null;
  /** Whether the key record came from the cache (`hit`), Redis (`miss`), or neither. */
  cache: 'hit' | 'miss' | null;
}

/** The verification core: credential → decision. HTTP-agnostic; see the middlewares for HTTP. */
export interface Verifier {
  /** Decides one request. Never rejects for Redis trouble (that is `unavailable`, or allowed on `open`). */
  verify(input: VerifyInput): Promise<Verification>;
  readonly cache: KeyCache;
  /** Counters: lookups in Redis, Redis failures and timeouts, last-use writes. */
  stats(): { lookups: number; redisFailures: number; touches: number };
}

/** Thrown (internally) when Redis does not answer within `redisTimeoutMs`. */
export class RedisTimeoutError extends Error {
  constructor(ms: number) {
    super(`redis did not answer within ${ms} ms`);
    this.name = 'RedisTimeoutError';
  }
}

function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RedisTimeoutError(ms)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const REFUSALS: Record<Exclude<Outcome, 'allowed'>, { status: number; message: string }> = {
  missing_key: { status: 401, message: 'send an API key as Authorization: Bearer <key> or X-Api-Key' },
  malformed_key: { status: 401, message: 'the API key is malformed' },
  unknown_key: { status: 401, message: 'unknown API key' },
  revoked_key: { status: 401, message: 'this API key was revoked' },
  expired_key: { status: 401, message: 'this API key has expired' },
  inactive_key: { status: 401, message: 'this API key is not active' },
  environment_mismatch: { status: 403, message: 'this API key belongs to another environment' },
  insufficient_scope: { status: 403, message: 'this API key lacks the scope this call needs' },
  ip_not_allowed: { status: 403, message: 'this API key may not be used from this address' },
  origin_not_allowed: { status: 403, message: 'this API key may not be used from this origin' },
  rate_limited: { status: 429, message: 'too many requests' },
};

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
  const counts = { lookups: 0, redisFailures: 0, touches: 0 };
  // One lookup in flight per hash: a cold burst on one key costs Redis one round trip.
  const inflight = new Map<string, { epoch: number; promise: Promise<KeyRecord | null> }>();
  const lastTouch = new Map<string, number>();
  let lastFailureLog = -Infinity;

  function noteFailure(error: unknown, what: string): void {
    counts.redisFailures += 1;
    const now = Date.now();
    // One line per second at most: a Redis outage must not turn into a log flood.
    if (now - lastFailureLog >= 1000) {
      lastFailureLog = now;
      log.warn({ err: error, during: what, redis_failures: counts.redisFailures }, 'redis failed or timed out');
    }
  }

  function lookup(hash: string): Promise<KeyRecord | null> {
    const epoch = cache.epoch();
    const pending = inflight.get(hash);
    if (pending && pending.epoch === epoch) return pending.promise;
    counts.lookups += 1;
    const promise = within(options.store.getByHash(hash), timeoutMs).then(
      (record) => {
        cache.set(hash, record, epoch);
        return record;
      },
    );
    const entry = { epoch, promise };
    inflight.set(hash, entry);
    const cleanup = () => {
      if (inflight.get(hash) === entry) inflight.delete(hash);
    };
    promise.then(cleanup, cleanup);
    return promise;
  }

  function touch(key: KeyRecord, now: Date): void {
    const last = lastTouch.get(key.id);
    if (last !== undefined && now.getTime() - last < touchIntervalMs) return;
    // Bounded: forgetting every timestamp costs at most one extra write per key.
    if (lastTouch.size >= 100_000) lastTouch.clear();
    lastTouch.set(key.id, now.getTime());
    counts.touches += 1;
    within(options.store.touch(key.id, now), timeoutMs).catch((error: unknown) => log.debug({ err: error, key_id: key.id }, 'could not record last use'));
  }

  return {
    cache,
    stats: () => ({ ...counts }),
    async verify(input) {
      const base: Verification = { outcome: 'allowed', status: null, message: 'ok', key: null, kind: null, fingerprint: null, rateLimit: null, degraded: null, cache: null };
      const refuse = (outcome: Exclude<Outcome, 'allowed'>): Verification => ({ ...base, outcome, ...REFUSALS[outcome] });
      const unavailable = (): Verification => ({ ...base, outcome: 'unavailable', status: 503, message: 'key verification is temporarily unavailable; retry shortly', degraded: 'redis_unavailable' });
      const failOpen = input.redisFailure === 'open';

      if (input.credential === null) return refuse('missing_key');
      base.fingerprint = keyFingerprint(options.fingerprintSecret, input.credential);
      const parsed = parseKey(input.credential);
      if (!parsed.ok) return refuse('malformed_key');
      base.kind = { type: parsed.type, environment: parsed.environment };

      const hash = hashKey(input.credential, options.pepper);
      let key = cache.get(hash);
      base.cache = key === undefined ? 'miss' : 'hit';
      if (key === undefined) {
        try {
          key = await lookup(hash);
        } catch (error) {
          noteFailure(error, 'lookup');
          if (!failOpen) return unavailable();
          // Fail open with nothing known about the key: only its format was checked.
          return { ...base, degraded: 'redis_unavailable', message: 'allowed without verification (redis unavailable; route fails open)' };
        }
      }
      if (key === null) return refuse('unknown_key');
      base.key = key;

      const now = clock();
      const state = effectiveState(key, now);
      if (state === 'revoked') return refuse('revoked_key');
      if (state === 'expired') return refuse('expired_key');
      if (state === 'deactivated' || state === 'suspended') return refuse('inactive_key');
      if (key.environment !== options.environment) return refuse('environment_mismatch');
      if (!ipAllowed(input.ip, key.allowed_ips)) return refuse('ip_not_allowed');
      if (!originAllowed(input.origin, key.allowed_origins)) return refuse('origin_not_allowed');
      if (input.scope !== null && !key.scopes.includes(input.scope)) return refuse('insufficient_scope');

      const policy = key.rate_limit ?? options.defaultRateLimit ?? null;
      if (policy !== null) {
        try {
          const result = await within(options.limiter.limit(`key:${key.id}`, policy), timeoutMs);
          base.rateLimit = { ...result, window_s: policy.window_s };
          if (!result.allowed) return { ...refuse('rate_limited'), rateLimit: base.rateLimit };
        } catch (error) {
          noteFailure(error, 'rate_limit');
          if (!failOpen) return unavailable();
          base.degraded = 'redis_unavailable';
        }
      }
      touch(key, now);
      return base;
    },
  };
}
