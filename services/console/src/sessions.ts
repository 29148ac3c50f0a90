import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import type { Redis } from '@keywatch/redis';

/** What the console may do for a signed-in person: decided once, at sign-in, from the key's answers. */
export interface Capabilities {
  /** `analytics:read`: usage, errors, geography, features, top keys, request search. */
  analytics: boolean;
  /** `audit:read`: the audit log, the alert feed, suppressions and trusted networks (read). */
  audit: boolean;
  /** `keys:manage`: key records and actions, the trigger policy, alert feedback, suppressions. */
  manage: boolean;
  /** `webhooks:manage`: alert destinations and their deliveries. */
  webhooks: boolean;
}

export interface Session {
  id: string;
  /** The secret key; it stays on the server and is never sent back to the browser. */
  key: string;
  tenantId: string | null;
  capabilities: Capabilities;
  /** Wall-clock ms after which the session is gone unless renewed. */
  expiresAt: number;
}

/** Where sessions live: in memory for one instance (and unit tests), in Redis for several. */
export interface SessionStore {
  create(input: Omit<Session, 'id' | 'expiresAt'>): Promise<Session>;
  /** The session, renewed for another TTL (sliding expiry), or null when unknown or expired. */
  touch(id: string): Promise<Session | null>;
  delete(id: string): Promise<void>;
  close(): void;
}

/** 256 random bits, base64url: the cookie's value. */
const newSessionId = () => randomBytes(32).toString('base64url');

export interface MemorySessionStoreOptions {
  /** Idle lifetime in ms. */
  ttlMs: number;
  /** Upper bound on live sessions; the least recently used one is dropped beyond it. Default 10 000. */
  maxSessions?: number;
  now?: () => number;
}

/** Sessions in a Map, swept of expired ones every minute. */
export function createMemorySessionStore(options: MemorySessionStoreOptions): SessionStore & { size(): number } {
  const now = options.now ?? Date.now;
  const max = options.maxSessions ?? 10_000;
  const sessions = new Map<string, Session>();
  const sweep = () => {
    const t = now();
    for (const [id, s] of sessions) if (s.expiresAt <= t) sessions.delete(id);
  };
  const timer = setInterval(sweep, 60_000);
  timer.unref();
  return {
    create(input) {
      sweep();
      if (sessions.size >= max) {
        // Map order is insertion order and touch() re-inserts, so the first entry is the least recently used.
        const oldest = sessions.keys().next().value;
        if (oldest !== undefined) sessions.delete(oldest);
      }
      const session: Session = { ...input, id: newSessionId(), expiresAt: now() + options.ttlMs };
      sessions.set(session.id, session);
      return Promise.resolve({ ...session });
    },
    touch(id) {
      const session = sessions.get(id);
      if (!session) return Promise.resolve(null);
      sessions.delete(id);
      if (session.expiresAt <= now()) return Promise.resolve(null);
      session.expiresAt = now() + options.ttlMs;
      sessions.set(id, session);
      return Promise.resolve({ ...session });
    },
    delete(id) {
      sessions.delete(id);
      return Promise.resolve();
    },
    size: () => sessions.size,
    close() {
      clearInterval(timer);
      sessions.clear();
    },
  };
}

export interface RedisSessionStoreOptions {
  /** A client with the deployment's key prefix; the store adds `console:session:`. */
  redis: Redis;
  /** Idle lifetime in ms (the Redis key's TTL, renewed on every touch). */
  ttlMs: number;
  now?: () => number;
}

interface StoredSession {
  v: 1;
  tenant_id: string | null;
  capabilities: Capabilities;
  /** The key sealed with AES-256-GCM under a key derived from the session id: iv.tag.ciphertext, base64url. */
  sealed_key: string;
}

const HKDF_INFO = 'keywatch-console-session-key-v1';

function sealingKey(sessionId: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(sessionId, 'base64url'), Buffer.alloc(0), HKDF_INFO, 32));
}

function seal(sessionId: string, key: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealingKey(sessionId), iv);
  const ciphertext = Buffer.concat([cipher.update(key, 'utf8'), cipher.final()]);
  return [iv, cipher.getAuthTag(), ciphertext].map((b) => b.toString('base64url')).join('.');
}

function unseal(sessionId: string, sealed: string): string | null {
  const [iv, tag, ciphertext] = sealed.split('.').map((part) => Buffer.from(part, 'base64url'));
  if (!iv || !tag || !ciphertext) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', sealingKey(sessionId), iv);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}

/**
 * Sessions in Redis, shared by every console instance behind a load balancer. Redis never holds
 * what a thief could use on its own: the record's name is the SHA-256 of the session id, and the
 * person's API key is sealed under a key derived from the session id, which only the browser's
 * cookie carries. Expiry is the record's TTL, renewed atomically by GETEX on every request.
 */
export function createRedisSessionStore(options: RedisSessionStoreOptions): SessionStore {
  const { redis, ttlMs } = options;
  const now = options.now ?? Date.now;
  const recordName = (id: string) => `console:session:${createHash('sha256').update(id).digest('hex')}`;
  return {
    async create(input) {
      const id = newSessionId();
      const stored: StoredSession = {
        v: 1,
        tenant_id: input.tenantId,
        capabilities: input.capabilities,
        sealed_key: seal(id, input.key),
      };
      await redis.set(recordName(id), JSON.stringify(stored), 'PX', ttlMs);
      return { ...input, id, expiresAt: now() + ttlMs };
    },
    async touch(id) {
      const raw = await redis.getex(recordName(id), 'PX', ttlMs);
      if (raw === null) return null;
      let stored: Partial<StoredSession>;
      try {
        stored = JSON.parse(raw) as Partial<StoredSession>;
      } catch {
        return null;
      }
      // A record of another version (or damaged) is treated as no session: the person signs in again.
      if (stored.v !== 1 || typeof stored.sealed_key !== 'string' || !stored.capabilities) return null;
      const key = unseal(id, stored.sealed_key);
      if (key === null) return null;
      return {
        id,
        key,
        tenantId: stored.tenant_id ?? null,
        capabilities: stored.capabilities,
        expiresAt: now() + ttlMs,
      };
    },
    async delete(id) {
      await redis.del(recordName(id));
    },
    close() {
      // The client belongs to the caller (service.ts closes it after the HTTP server).
    },
  };
}
