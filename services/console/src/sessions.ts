import { randomBytes } from 'node:crypto';

/** What the console may do for a signed-in person: decided once, at sign-in, from the key's answers. */
export interface Capabilities {
  /** `analytics:read`: usage, errors, geography, features, top keys. */
  analytics: boolean;
  /** `audit:read`: the audit log and the alert feed. */
  audit: boolean;
  /** `keys:manage`: key records and rotate / deactivate / revoke. */
  manage: boolean;
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

/** Where sessions live. The in-memory store suits one console instance; several need a shared one. */
export interface SessionStore {
  create(input: Omit<Session, 'id' | 'expiresAt'>): Session;
  /** The session, renewed for another TTL (sliding expiry), or null when unknown or expired. */
  touch(id: string): Session | null;
  delete(id: string): void;
  size(): number;
  close(): void;
}

export interface MemorySessionStoreOptions {
  /** Idle lifetime in ms. */
  ttlMs: number;
  /** Upper bound on live sessions; the one closest to expiry is dropped beyond it. Default 10 000. */
  maxSessions?: number;
  now?: () => number;
}

/** Sessions in a Map, swept of expired ones every minute. Ids are 256 random bits. */
export function createMemorySessionStore(options: MemorySessionStoreOptions): SessionStore {
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
      const session: Session = {
        ...input,
        id: randomBytes(32).toString('base64url'),
        expiresAt: now() + options.ttlMs,
      };
      sessions.set(session.id, session);
      return session;
    },
    touch(id) {
      const session = sessions.get(id);
      if (!session) return null;
      sessions.delete(id);
      if (session.expiresAt <= now()) return null;
      session.expiresAt = now() + options.ttlMs;
      sessions.set(id, session);
      return session;
    },
    delete(id) {
      sessions.delete(id);
    },
    size: () => sessions.size,
    close() {
      clearInterval(timer);
      sessions.clear();
    },
  };
}
