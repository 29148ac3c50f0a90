import path from 'node:path';
import { createClickHouse, runMigrations } from '@keywatch/clickhouse';
import { engineConfig, int, optional, parseConfig } from '@keywatch/config';
import { createKafka, loadTopicDefinitions, provisionTopics } from '@keywatch/kafka';
import type { Logger } from '@keywatch/logger';
import type { Command } from 'commander';
import { repoRoot } from '../repo.js';
import { cliLogger } from '../logger.js';

const migrateConfig = engineConfig.extend({
  /** Replication factor of new topics; default min(3, brokers). */
  KEYWATCH_KAFKA_REPLICATION_FACTOR: optional(int({ min: 1, max: 7 })),
});

/** Applies the ClickHouse migrations and creates or updates the Kafka topics; both idempotent. */
export async function migrate(env: NodeJS.ProcessEnv, logger: Logger): Promise<void> {
  const config = parseConfig(migrateConfig, env);
  const clickhouse = createClickHouse({
    url: config.CLICKHOUSE_URL,
    database: config.CLICKHOUSE_DATABASE,
    username: config.CLICKHOUSE_USER,
    password: config.CLICKHOUSE_PASSWORD,
    logger,
  });
  try {
    const applied = await runMigrations(clickhouse, {
      directory: path.join(repoRoot, 'infra/clickhouse/migrations'),
      database: config.CLICKHOUSE_DATABASE,
      logger,
    });
    for (const m of applied)
      console.log(
        `clickhouse  ${config.CLICKHOUSE_DATABASE}  ${String(m.version).padStart(4, '0')}_${m.name}  ${m.status}`,
      );
  } finally {
    await clickhouse.close();
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
