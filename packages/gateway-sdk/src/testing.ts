import { generateKey, hashKey, keyDisplay, newKeyId, type KeyEnvironment, type KeyType } from '@keywatch/contracts';
import type { KeyRecord, RateLimitPolicy } from '@keywatch/keystore';
import type { RateLimiter, RateLimitResult } from '@keywatch/ratelimit';
import type { KeyLookup } from './verifier.js';

/** A key record and its secret, for unit tests (no Redis). */
export function testKey(overrides: Partial<KeyRecord> & { type?: KeyType; environment?: KeyEnvironment } = {}): {
  secret: string;
  hash: string;
  record: KeyRecord;
} {
  const kind = { type: overrides.type ?? 'secret', environment: overrides.environment ?? 'live' } as const;
  const secret = generateKey(kind);
  const now = new Date().toISOString();
  const record: KeyRecord = {
    id: newKeyId(),
    tenant_id: 'tenant_unit',
    ...kind,
    name: 'unit',
    scopes: kind.type === 'secret' ? ['subscriptions:read', 'customers:read'] : ['bundles:read'],
    state: 'active',
    state_reason: null,
    ...keyDisplay(secret),
    created_at: now,
    created_by: 'root',
    updated_at: now,
    expires_at: null,
    rotated_from: null,
    rotated_to: null,
    allowed_ips: [],
    allowed_origins: [],
    rate_limit: null,
    last_used_at: null,
    version: 1,
    ...overrides,
  };
  return { secret, hash: hashKey(secret), record };
}

/** An in-memory {@link KeyLookup} with call counters and switchable failure/latency. */
export class InMemoryKeyLookup implements KeyLookup {
  readonly records = new Map<string, KeyRecord>();
  lookups = 0;
  touches: Array<{ id: string; at: Date }> = [];
  /** When set, calls wait this long (ms) before answering. */
  delayMs = 0;
  /** When set, calls reject with this error. */
  failure: Error | null = null;

  add(hash: string, record: KeyRecord): void {
    this.records.set(hash, record);
  }

  private async settle(): Promise<void> {
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    if (this.failure) throw this.failure;
  }

  async getByHash(hash: string): Promise<KeyRecord | null> {
    this.lookups += 1;
    const record = this.records.get(hash) ?? null;
    await this.settle();
    return record;
  }

  async touch(id: string, at: Date): Promise<void> {
    this.touches.push({ id, at });
    await this.settle();
  }
}

/** A fixed-window in-memory {@link RateLimiter} (unit tests only; the real one is GCRA in Redis). */
export class InMemoryRateLimiter implements RateLimiter {
  private readonly used = new Map<string, number>();
  failure: Error | null = null;

  async limit(bucket: string, policy: RateLimitPolicy, cost = 1): Promise<RateLimitResult> {
    if (this.failure) throw this.failure;
    const used = this.used.get(bucket) ?? 0;
    const allowed = used + cost <= policy.limit;
    if (allowed) this.used.set(bucket, used + cost);
    const after = allowed ? used + cost : used;
    return {
      allowed,
      limit: policy.limit,
      remaining: Math.max(0, policy.limit - after),
      resetSeconds: policy.window_s,
      retryAfterSeconds: allowed ? null : policy.window_s,
    };
  }
}
