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

/**
 * Deletes every key whose full name starts with `prefix` (SCAN + UNLINK through a client without a
 * key prefix: SCAN patterns ignore a client's prefix). For cleaning up after benchmarks and tests;
 * returns how many keys went.
 */
export async function deleteKeysWithPrefix(url: string, prefix: string): Promise<number> {
  const raw = createRedis({ url, keyPrefix: '', connectionName: 'keywatch-cleanup', commandTimeoutMs: 10_000 });
  raw.on('error', () => undefined); // reported by the failing command
  try {
    let deleted = 0;
    let cursor = '0';
    do {
      const [next, keys] = await raw.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await raw.unlink(...keys);
    } while (cursor !== '0');
    return deleted;
  } finally {
    raw.disconnect();
  }
}

export {
  anyReply,
  defineScript,
  hasScriptCommand,
  integerReply,
  luaFragment,
  stringReply,
  type LuaFragment,
  type Script,
  type ScriptArg,
  type ScriptCall,
  type ScriptCommand,
  type ScriptDefinition,
} from './script.js';
