import path from 'node:path';
import { createClickHouse, runClusterMigrations, runMigrations } from '@keywatch/clickhouse';
import { engineConfig, int, optional, parseConfig, str } from '@keywatch/config';
import { createKafka, loadTopicDefinitions, provisionTopics } from '@keywatch/kafka';
import type { Logger } from '@keywatch/logger';
import type { Command } from 'commander';
import { repoRoot } from '../repo.js';
import { cliLogger } from '../logger.js';

const migrateConfig = engineConfig.extend({
  /** Replication factor of new topics; default min(3, brokers). */
  KEYWATCH_KAFKA_REPLICATION_FACTOR: optional(int({ min: 1, max: 7 })),
  /** A sharded ClickHouse: the `remote_servers` cluster name; the schema goes to every shard (docs/deploy.md). */
  KEYWATCH_CLICKHOUSE_CLUSTER: optional(str()),
  /** With KEYWATCH_CLICKHOUSE_CLUSTER: each shard's HTTP URL, comma-separated. */
  KEYWATCH_CLICKHOUSE_SHARD_URLS: optional(str()),
});

/** Applies the ClickHouse migrations and creates or updates the Kafka topics; both idempotent. */
export async function migrate(env: NodeJS.ProcessEnv, logger: Logger): Promise<void> {
  const config = parseConfig(migrateConfig, env);
  const cluster = config.KEYWATCH_CLICKHOUSE_CLUSTER;
  const urls = cluster
    ? (config.KEYWATCH_CLICKHOUSE_SHARD_URLS ?? '').split(',').filter(Boolean)
    : [config.CLICKHOUSE_URL];
  if (cluster && urls.length === 0)
    throw new Error('KEYWATCH_CLICKHOUSE_SHARD_URLS must list the shards when KEYWATCH_CLICKHOUSE_CLUSTER is set');
  const clients = urls.map((url) =>
    createClickHouse({
      url,
      database: cluster ? 'system' : config.CLICKHOUSE_DATABASE,
      username: config.CLICKHOUSE_USER,
      password: config.CLICKHOUSE_PASSWORD,
      logger,
    }),
  );
  try {
    const options = {
      directory: path.join(repoRoot, 'infra/clickhouse/migrations'),
      database: config.CLICKHOUSE_DATABASE,
      logger,
    };
    const applied = cluster
      ? await runClusterMigrations(clients, { ...options, cluster })
      : await runMigrations(clients[0]!, options);
    for (const m of applied)
      console.log(
        `clickhouse  ${config.CLICKHOUSE_DATABASE}${cluster ? ` (${urls.length} shards)` : ''}  ${String(m.version).padStart(4, '0')}_${m.name}  ${m.status}`,
      );
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
  const admin = createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'keywatch-migrate', logger }).admin();
  await admin.connect();
  try {
    const definitions = loadTopicDefinitions(path.join(repoRoot, 'infra/kafka/topics.json'));
    const results = await provisionTopics(admin, definitions, {
      prefix: config.KEYWATCH_TOPIC_PREFIX,
      replicationFactor: config.KEYWATCH_KAFKA_REPLICATION_FACTOR,
    });
    for (const r of results) console.log(`kafka       ${r.topic.padEnd(32)} ${r.action}`);
  } finally {
    await admin.disconnect();
  }
}

export function registerMigrate(program: Command, env: NodeJS.ProcessEnv): void {
  program
    .command('migrate')
    .description('apply the ClickHouse migrations and create or update the Kafka topics (idempotent)')
    .action(async () => migrate(env, cliLogger(env)));
}
