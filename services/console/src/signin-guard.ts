import type { Redis } from '@keywatch/redis';

/** Counts failed sign-ins per client address over a fixed window; shared by every instance when in Redis. */
export interface SignInGuard {
  /** True when the address has used up its failed attempts in the current window. */
  blocked(address: string): Promise<boolean>;
  failed(address: string): Promise<void>;
  succeeded(address: string): Promise<void>;
}

export interface SignInGuardOptions {
  /** Failed sign-ins allowed per address and window. Default 20. */
  maxFailures?: number;
  /** Default 10 minutes. */
  windowMs?: number;
  now?: () => number;
}

/** For one instance and unit tests: a bounded Map. */
export function createMemorySignInGuard(options: SignInGuardOptions = {}): SignInGuard {
  const max = options.maxFailures ?? 20;
  const windowMs = options.windowMs ?? 600_000;
  const now = options.now ?? Date.now;
  const failures = new Map<string, { count: number; since: number }>();
  return {
    blocked(address) {
      const entry = failures.get(address);
      return Promise.resolve(entry !== undefined && entry.count >= max && now() - entry.since <= windowMs);
    },
    failed(address) {
      const entry = failures.get(address);
      if (!entry || now() - entry.since > windowMs) failures.set(address, { count: 1, since: now() });
      else entry.count += 1;
      if (failures.size > 10_000) failures.delete(failures.keys().next().value ?? '');
      return Promise.resolve();
    },
    succeeded(address) {
      failures.delete(address);
      return Promise.resolve();
    },
  };
}

/** The same rule in Redis (INCR + PEXPIRE on the first failure), so a second instance does not double the allowance. */
export function createRedisSignInGuard(redis: Redis, options: SignInGuardOptions = {}): SignInGuard {
  const max = options.maxFailures ?? 20;
  const windowMs = options.windowMs ?? 600_000;
  const name = (address: string) => `console:signin-failures:${address}`;
  return {
    async blocked(address) {
      return Number((await redis.get(name(address))) ?? 0) >= max;
    },
    async failed(address) {
      const count = await redis.incr(name(address));
      // A fresh counter (or one that lost its TTL to a crash between the two calls) starts the window now.
      if (count === 1 || (await redis.pttl(name(address))) < 0) await redis.pexpire(name(address), windowMs);
    },
    async succeeded(address) {
      await redis.del(name(address));
    },
  };
}
