import { Redis } from 'ioredis';

export type { Redis } from 'ioredis';

export interface RedisSettings {
  url: string;
  /**
   * Prepended to every key (default `keywatch:`). Callers that need Redis Cluster slot affinity
   * put a hash tag in it, e.g. `{keywatch}:`.
   */
  keyPrefix?: string;
  /** Shown in `CLIENT LIST`, e.g. the service name. */
  connectionName?: string;
  /** Per-command timeout in ms (default 1000): a slow Redis fails fast instead of stalling callers. */
  commandTimeoutMs?: number;
}

/** An ioredis client with Keywatch's key prefix and fail-fast timeouts. */
export function createRedis(settings: RedisSettings): Redis {
  return new Redis(settings.url, {
    keyPrefix: settings.keyPrefix ?? 'keywatch:',
    connectionName: settings.connectionName,
    commandTimeout: settings.commandTimeoutMs ?? 1000,
    connectTimeout: 3000,
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
  });
}
