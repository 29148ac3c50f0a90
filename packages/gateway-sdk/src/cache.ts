import type { KeyRecord } from '@keywatch/keystore';
import { LRUCache } from 'lru-cache';

/** Options of {@link KeyCache}. */
export interface KeyCacheOptions {
  /** Most entries held, known and unknown keys together (default 10 000); least recently used go first. */
  max?: number;
  /**
   * How long a known key's record is trusted without hearing from `key-lifecycle` (default 60 000 ms).
   * Lifecycle events drop entries at once; this bounds staleness when they cannot arrive (Kafka down).
   */
  ttlMs?: number;
  /** How long "no such key" is remembered (default 5 000 ms): enumeration costs Redis once per key per TTL. */
  negativeTtlMs?: number;
}

/** Counters since creation. */
export interface KeyCacheStats {
  size: number;
  hits: number;
  /** Hits on a remembered unknown key (also counted in `hits`). */
  negativeHits: number;
  misses: number;
  /** Entries dropped by lifecycle events (a key id with nothing cached is not counted). */
  invalidations: number;
  /** Times the whole cache was emptied (joining the lifecycle topic). */
  clears: number;
}

interface Entry {
  record: KeyRecord | null;
}

/**
 * The gateway's in-process cache of key records by key hash: bounded LRU, a shorter TTL for unknown
 * keys, and a key id → hash index for lifecycle events. Every drop bumps {@link KeyCache.epoch} so
 * {@link KeyCache.set} refuses a lookup result that an invalidation overtook.
 */
export class KeyCache {
  private readonly lru: LRUCache<string, Entry>;
  private readonly byId = new Map<string, string>();
  private readonly negativeTtlMs: number;
  private generation = 0;
  private readonly counts = { hits: 0, negativeHits: 0, misses: 0, invalidations: 0, clears: 0 };

  constructor(options: KeyCacheOptions = {}) {
    const max = options.max ?? 10_000;
    const ttl = options.ttlMs ?? 60_000;
    this.negativeTtlMs = options.negativeTtlMs ?? 5_000;
    if (!Number.isSafeInteger(max) || max <= 0) throw new RangeError(`max must be a positive integer, got ${max}`);
    if (!(ttl > 0) || !(this.negativeTtlMs > 0)) throw new RangeError('ttlMs and negativeTtlMs must be positive');
    this.lru = new LRUCache<string, Entry>({
      max,
      ttl,
      // Expired entries are found lazily by get(); no timers on the request path.
      ttlAutopurge: false,
      dispose: (entry, hash) => {
        const id = entry.record?.id;
        if (id !== undefined && this.byId.get(id) === hash) this.byId.delete(id);
      },
    });
  }

  /** The record, `null` for a remembered unknown key, `undefined` on a miss. Counts the hit or miss. */
  get(hash: string): KeyRecord | null | undefined {
    const entry = this.lru.get(hash);
    if (entry === undefined) {
      this.counts.misses += 1;
      return undefined;
    }
    this.counts.hits += 1;
    if (entry.record === null) this.counts.negativeHits += 1;
    return entry.record;
  }

  /** The invalidation generation; pass it to {@link KeyCache.set} for a lookup started now. */
  epoch(): number {
    return this.generation;
  }

  /**
   * Stores a lookup's result (`null`: unknown key, kept for the negative TTL) unless an
   * invalidation happened since `startedAt` (an epoch). Returns whether it was stored.
   */
  set(hash: string, record: KeyRecord | null, startedAt: number): boolean {
    if (startedAt !== this.generation) return false;
    if (record === null) {
      this.lru.set(hash, { record: null }, { ttl: this.negativeTtlMs });
      return true;
    }
    this.lru.set(hash, { record });
    this.byId.set(record.id, hash);
    return true;
  }

  /** Drops the entry of key `keyId` (a lifecycle event). Always bumps the epoch. */
  dropKey(keyId: string): boolean {
    this.generation += 1;
    const hash = this.byId.get(keyId);
    if (hash === undefined) return false;
    this.byId.delete(keyId);
    this.lru.delete(hash);
    this.counts.invalidations += 1;
    return true;
  }

  /** Empties the cache (e.g. after (re)joining the lifecycle topic, when events may have been missed). */
  clear(): void {
    this.generation += 1;
    this.lru.clear();
    this.byId.clear();
    this.counts.clears += 1;
  }

  stats(): KeyCacheStats {
    return { size: this.lru.size, ...this.counts };
  }
}
