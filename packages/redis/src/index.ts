import { Cluster, Redis } from 'ioredis';

export type { Redis, Cluster } from 'ioredis';

export interface RedisSettings {
  url: string;
  /**
   * Prepended to every key (default `keywatch:`). Callers that need Redis Cluster slot affinity
   * put a hash tag in it, e.g. `{keywatch}:`.
   */
  keyPrefix?: string;
  /** Shown in `CLIENT LIST`, e.g. the service name. */
  connectionName?: string;
  /**
   * Per-command timeout in ms (default 1000): a slow Redis fails fast instead of stalling callers.
   * `null`: none, for blocking commands (BullMQ workers).
   */
  commandTimeoutMs?: number | null;
  /** Retries of a command over reconnects (default 2); `null` = unlimited, as BullMQ workers require. */
  maxRetriesPerRequest?: number | null;
}

/**
 * True when the URL names a Redis Cluster: `redis://seed:port/?cluster=true` (the seed is any
 * node; the client discovers the rest). A query flag keeps REDIS_URL one plain URL everywhere.
 */
export function isClusterUrl(url: string): boolean {
  try {
    const value = new URL(url).searchParams.get('cluster');
    return value === 'true' || value === '1' || value === 'yes';
  } catch {
    return false;
  }
}

/**
 * An ioredis client with Keywatch's key prefix and fail-fast timeouts: a `Cluster` client when the
 * URL says `cluster=true`, else a single-node one. Callers keep multi-key commands and scripts
 * inside one hash tag; the cluster client routes each by its slot (and follows MOVED/ASK after a
 * failover).
 */
export function createRedis(settings: RedisSettings): Redis {
  const common = {
    keyPrefix: settings.keyPrefix ?? 'keywatch:',
    connectionName: settings.connectionName,
    connectTimeout: 3000,
    maxRetriesPerRequest: settings.maxRetriesPerRequest === undefined ? 2 : settings.maxRetriesPerRequest,
    ...(settings.commandTimeoutMs === null ? {} : { commandTimeout: settings.commandTimeoutMs ?? 1000 }),
  };
  if (isClusterUrl(settings.url)) return asRedis(createCluster(settings.url, common));
  return new Redis(settings.url, { ...common, enableOfflineQueue: true });
}

function createCluster(url: string, common: { keyPrefix: string } & Record<string, unknown>): Cluster {
  const parsed = new URL(url);
  const { keyPrefix, ...redisOptions } = common;
  return new Cluster([{ host: parsed.hostname.replace(/^\[|\]$/g, ''), port: Number(parsed.port || 6379) }], {
    keyPrefix,
    redisOptions: {
      ...redisOptions,
      ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
      ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
      ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
    },
    // Reads go to masters: a replica may lag a revocation.
    scaleReads: 'master',
    enableOfflineQueue: true,
    // A failover moves slots; refresh the slot map soon after MOVED/errors, retry moved commands.
    slotsRefreshTimeout: 2000,
    retryDelayOnFailover: 100,
    retryDelayOnClusterDown: 100,
    retryDelayOnTryAgain: 100,
    maxRedirections: 16,
  });
}

/**
 * ioredis's `Cluster` carries the same command and script API as `Redis` (both are its
 * `Commander`), so one type serves callers; what differs (e.g. `nodes()`) is reached through
 * {@link clusterOf}.
 */
function asRedis(cluster: Cluster): Redis {
  return cluster as unknown as Redis;
}

/** The client as a `Cluster` when it is one (for per-node work: SCAN, spread counts). */
export function clusterOf(redis: Redis): Cluster | undefined {
  const candidate: unknown = redis;
  return candidate instanceof Cluster ? candidate : undefined;
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
    // SCAN sees one node's keys: on a cluster, scan every master; UNLINK one key at a time there
    // (keys of one SCAN page may live in different slots).
    const cluster = clusterOf(raw);
    if (cluster) await cluster.ping(); // the node list fills once the slot map is loaded
    for (const node of cluster ? cluster.nodes('master') : [raw]) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length === 0) continue;
        if (cluster) for (const key of keys) deleted += await node.unlink(key);
        else deleted += await node.unlink(...keys);
      } while (cursor !== '0');
    }
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
