import path from 'node:path';
import type { StackSettings } from '../settings.js';

/**
 * The cluster profile's nodes: their own ports (a block from `KEYWATCH_CLUSTER_BASE_PORT`, default
 * 27000) and data under `<stackDir>/cluster`, so it runs beside the single-node stack.
 */
export interface ClusterSettings {
  repoRoot: string;
  cacheDir: string;
  /** `<stackDir>/cluster`: data, logs and pid files of every node. */
  dir: string;
  host: string;
  kafka: { id: number; port: number; controllerPort: number }[];
  kafkaHeapMb: number;
  redis: { port: number }[];
  /** Redis Cluster's failure-detection time: a master unreachable this long is failed over. */
  redisNodeTimeoutMs: number;
  clickhouse: { shard: number; httpPort: number; tcpPort: number }[];
  /** The `remote_servers` name of the Distributed tables. */
  clickhouseCluster: string;
}

type Env = Readonly<Record<string, string | undefined>>;

export function resolveClusterSettings(env: Env, single: StackSettings): ClusterSettings {
  const raw = env.KEYWATCH_CLUSTER_BASE_PORT;
  const base = raw === undefined || raw === '' ? 27000 : Number(raw);
  if (!Number.isInteger(base) || base < 1024 || base > 60000) {
    throw new Error(`KEYWATCH_CLUSTER_BASE_PORT must be an integer between 1024 and 60000, got "${raw}"`);
  }
  const heap = Number(env.KEYWATCH_KAFKA_HEAP_MB ?? 384);
  if (!Number.isInteger(heap) || heap < 128) throw new Error(`KEYWATCH_KAFKA_HEAP_MB must be an integer ≥ 128`);
  return {
    repoRoot: single.repoRoot,
    cacheDir: single.cacheDir,
    dir: path.join(single.stackDir, 'cluster'),
    host: '127.0.0.1',
    // base+2092.. brokers, base+2192.. controllers; base+1..6 Redis; base+1123.. HTTP, base+2000.. native.
    kafka: [1, 2, 3].map((id) => ({ id, port: base + 2091 + id, controllerPort: base + 2191 + id })),
    kafkaHeapMb: heap,
    redis: [1, 2, 3, 4, 5, 6].map((i) => ({ port: base + i })),
    redisNodeTimeoutMs: 3000,
    clickhouse: [1, 2].map((shard) => ({ shard, httpPort: base + 1122 + shard, tcpPort: base + 1999 + shard })),
    clickhouseCluster: 'keywatch',
  };
}

/** The environment every service, the CLI and the tests take to use the cluster (`keywatch stack env --profile cluster`). */
export function clusterEnv(c: ClusterSettings): Record<string, string> {
  const shardUrls = c.clickhouse.map((n) => `http://${c.host}:${n.httpPort}`);
  return {
    KEYWATCH_STACK_PROFILE: 'cluster',
    KAFKA_BROKERS: c.kafka.map((b) => `${c.host}:${b.port}`).join(','),
    // A seed node; `cluster=true` makes @keywatch/redis open an ioredis Cluster client.
    REDIS_URL: `redis://${c.host}:${c.redis[0]?.port}/?cluster=true`,
    CLICKHOUSE_URL: shardUrls[0] ?? '',
    // The migration runner applies the schema on every shard and the Distributed tables in front.
    KEYWATCH_CLICKHOUSE_CLUSTER: c.clickhouseCluster,
    KEYWATCH_CLICKHOUSE_SHARD_URLS: shardUrls.join(','),
  };
}
