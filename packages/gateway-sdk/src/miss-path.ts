import type { KeyEnvironment, Scope } from '@keywatch/contracts';
import { KeyStoreError, layout, type KeyRecord } from '@keywatch/keystore';
import {
  GCRA_FUNCTIONS,
  gcraReply,
  toRateLimitResult,
  type GcraReply,
  type RateLimitResult,
} from '@keywatch/ratelimit';
import { defineScript, type Redis } from '@keywatch/redis';
// The keystore's own decoder, so a record read here is validated exactly as `getByHash` does.
import { decodeRecord, pairsToObject } from '@keywatch/keystore';

/** What the rate limit in the combined call must know to be sure the verifier will not refuse. */
export interface LookupAndLimitRequest {
  /** The gateway's environment. */
  environment: KeyEnvironment;
  /** The route's scope (`null`: any). */
  scope: Scope | null;
  /** Whether the request carries an `Origin` header (a key with allowed origins is then checked in Node). */
  hasOrigin: boolean;
  /** The verifier's clock, the same instant its expiry check uses. */
  now: Date;
}

/** The combined call's answer. */
export interface LookupAndLimitResult {
  /** The record, or `null` for an unknown key. */
  record: KeyRecord | null;
  /** The key's own rate limit, taken in the same call; `null` when it was not applied (see {@link LookupAndLimit}). */
  limit: RateLimitResult | null;
}

/**
 * A cache miss in one Redis round trip: the keystore's lookup by hash and, when the record shows the
 * verifier will let the request through, the key's GCRA limit, in one Lua call (otherwise `limit` is
 * `null` and the verifier limits after its checks, so a refused request never spends budget). Two
 * Cluster slots: single Redis only (README).
 */
export interface LookupAndLimit {
  run(hash: string, request: LookupAndLimitRequest): Promise<LookupAndLimitResult>;
}

/** Options of {@link createLookupAndLimit}. */
export interface LookupAndLimitOptions {
  /** The keystore's client (its key prefix is the keystore's and the rate limiter's). */
  redis: Redis;
  /** The rate limiter's own `keyPrefix`, if it has one (default empty). */
  rateLimitKeyPrefix?: string;
}

type Reply = null | [id: string, flat: unknown, gcra: GcraReply | null];

/**
 * The lookup and the limit in one script. ARGV: base (`<client prefix>{ks}:`), bucket prefix
 * (`<client prefix><limiter prefix>`), environment, scope or '', has origin '1'|'0', now ms.
 */
const LOOKUP_AND_LIMIT = defineScript<
  [hashKey: string],
  [base: string, bucketPrefix: string, environment: string, scope: string, hasOrigin: '1' | '0', now: number],
  Reply
>({
  name: 'keywatchLookupAndLimit',
  file: new URL('./lookup-and-limit.lua', import.meta.url),
  includes: [GCRA_FUNCTIONS],
  reply: (raw) => {
    if (raw === null) return null;
    if (!Array.isArray(raw) || typeof raw[0] !== 'string')
      throw new KeyStoreError('corrupt_record', 'unexpected reply to a lookup by hash');
    return [raw[0], raw[1], raw[2] === null ? null : gcraReply(raw[2])];
  },
});

/** See {@link LookupAndLimit}. */
export function createLookupAndLimit(options: LookupAndLimitOptions): LookupAndLimit {
  const clientPrefix = options.redis.options.keyPrefix ?? '';
  const base = `${clientPrefix}${layout.hash('').slice(0, -'hash:'.length)}`;
  // The script builds `bucketKey('key:<id>', rateLimitKeyPrefix)` after the client's prefix.
  const bucketPrefix = `${clientPrefix}${options.rateLimitKeyPrefix ?? ''}`;
  const lookupAndLimit = LOOKUP_AND_LIMIT.on(options.redis);
  return {
    async run(hash, request) {
      const reply = await lookupAndLimit(
        [layout.hash(hash)],
        [
          base,
          bucketPrefix,
          request.environment,
          request.scope ?? '',
          request.hasOrigin ? '1' : '0',
          request.now.getTime(),
        ],
      );
      if (reply === null) return { record: null, limit: null };
      const [id, flat, gcra] = reply;
      const raw = pairsToObject(flat);
      if (Object.keys(raw).length === 0)
        throw new KeyStoreError('corrupt_record', `the hash index points to key ${id}, which does not exist`, {
          key: id,
          field: 'hash',
        });
      const stored = decodeRecord(raw, id);
      if (stored.hash !== hash)
        throw new KeyStoreError('corrupt_record', `the hash index points to key ${id}, whose hash differs`, {
          key: id,
          field: 'hash',
        });
      const policy = stored.record.rate_limit;
      return { record: stored.record, limit: gcra && policy ? toRateLimitResult(gcra, policy.limit) : null };
    },
  };
}
