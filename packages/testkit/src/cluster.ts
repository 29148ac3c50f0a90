import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createClickHouse, runClusterMigrations } from '@keywatch/clickhouse';
import { topicNames } from '@keywatch/contracts';
import { createKafka, loadTopicDefinitions, provisionTopics } from '@keywatch/kafka';
import {
  clusterEnv,
  clusterNodes,
  clusterUp,
  resolveClusterSettings,
  resolveStackSettings,
  type ClusterNode,
  type ClusterSettings,
} from '@keywatch/local-stack';
import type { Logger } from '@keywatch/logger';
import { createRedis, deleteKeysWithPrefix } from '@keywatch/redis';
import { repoRoot } from './engines.js';
import { poll } from './poll.js';
import type { ClickHouseFixture, KafkaFixture, RedisFixture } from './fixtures.js';

/** A failure test's private slice of the cluster profile (started if it is not up). */
export interface ClusterFixtures {
  settings: ClusterSettings;
  nodes: ClusterNode[];
  /** The environment `keywatch stack env --profile cluster` prints. */
  env: Record<string, string>;
  kafka: KafkaFixture;
  redis: RedisFixture;
  /** The front: shard 1's HTTP URL and a database of Distributed tables over both shards. */
  clickhouse: ClickHouseFixture;
  /** Each shard's own URL, in shard order. */
  shardUrls: string[];
  dispose(): Promise<void>;
}

/**
 * Brings the cluster profile up (`keywatch stack up --profile cluster`; seconds when it already
 * runs), then makes this test's own topics (replication factor 3), Redis prefix and sharded
 * database (the migrations' cluster variant), removed again by `dispose`.
 */
export async function useCluster(
  logger: Logger,
  progress: (line: string) => void = () => {},
): Promise<ClusterFixtures> {
  const settings = resolveClusterSettings(process.env, resolveStackSettings({}, repoRoot));
  const release = await exclusive(path.join(settings.dir, 'failure-test.lock'));
  try {
    return await prepare(settings, logger, progress, release);
  } catch (error) {
    release();
    throw error;
  }
}

/**
 * One failure test at a time across vitest workers: each one stops or kills nodes the others use.
 * A lock file holding the owner's pid; a dead owner's lock is taken over.
 */
async function exclusive(file: string): Promise<() => void> {
  mkdirSync(path.dirname(file), { recursive: true });
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => rmSync(file, { force: true });
    } catch {
      let owner: number;
      try {
        owner = Number(readFileSync(file, 'utf8').trim());
      } catch {
        continue; // released meanwhile
      }
      if (!Number.isInteger(owner) || owner <= 0 || !alive(owner)) {
        rmSync(file, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`${file} held by pid ${owner} for 15 minutes`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function prepare(
  settings: ClusterSettings,
  logger: Logger,
  progress: (line: string) => void,
  release: () => void,
): Promise<ClusterFixtures> {
  await clusterUp(settings, progress);
  const env = clusterEnv(settings);
  const id = randomBytes(4).toString('hex');
  const brokers = (env.KAFKA_BROKERS ?? '').split(',');
  const prefix = `kwcl-${id}.`;
  const kafka = createKafka({ brokers, clientId: `test-${prefix}`, logger });
  const admin = kafka.admin();
  await admin.connect();
  const provision = async (options: { maxPartitions?: number } = {}) => {
    const definitions = loadTopicDefinitions(path.join(repoRoot, 'infra/kafka/topics.json')).map((d) => ({
      ...d,
      partitions: Math.min(d.partitions, options.maxPartitions ?? 3),
    }));
    await provisionTopics(admin, definitions, { prefix, replicationFactor: 3 });
  };
  const redisUrl = env.REDIS_URL ?? '';
  const redisPrefix = `kwcl:${id}:`;
  const shardUrls = (env.KEYWATCH_CLICKHOUSE_SHARD_URLS ?? '').split(',');
  const database = `kwcl_${id}`;
  const shards = shardUrls.map((url) => createClickHouse({ url, database: 'system', logger }));
  try {
    await runClusterMigrations(shards, {
      directory: path.join(repoRoot, 'infra/clickhouse/migrations'),
      database,
      cluster: settings.clickhouseCluster,
      logger,
    });
  } finally {
    await Promise.all(shards.map((s) => s.close()));
  }
  const client = createRedis({ url: redisUrl, keyPrefix: redisPrefix, connectionName: 'testkit-cluster' });
  client.on('error', () => undefined); // reported by the failing command
  // The slot map loads asynchronously; on a loaded machine the first commands would time out.
  const ready = await poll(
    () =>
      client.ping().then(
        () => true,
        () => false,
      ),
    (ok) => ok,
    30_000,
    200,
  );
  if (!ready) throw new Error(`the Redis Cluster at ${redisUrl} did not answer within 30 s`);
  return {
    settings,
    nodes: clusterNodes(settings),
    env,
    kafka: { brokers, kafka, prefix, topics: topicNames(prefix), provision },
    redis: { url: redisUrl, prefix: redisPrefix, client },
    clickhouse: { url: shardUrls[0] ?? '', database },
    shardUrls,
    async dispose() {
      const mine = (await admin.listTopics().catch(() => [] as string[])).filter((t) => t.startsWith(prefix));
      if (mine.length > 0) await admin.deleteTopics({ topics: mine }).catch(() => undefined);
      await admin.disconnect();
      for (const url of shardUrls)
        for (const db of [database, `${database}_local`])
          await fetch(url, { method: 'POST', body: `DROP DATABASE IF EXISTS ${db}` }).catch(() => undefined);
      await deleteKeysWithPrefix(redisUrl, redisPrefix).catch(() => undefined);
      client.disconnect();
      release();
    },
  };
}
