/* eslint-disable no-empty-pattern -- vitest reads fixture dependencies from the destructuring pattern */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { topicNames, type TopicNames } from '@keywatch/contracts';
import { createKafka, loadTopicDefinitions, provisionTopics } from '@keywatch/kafka';
import { LOG_LEVELS } from '@keywatch/config';
import { createLogger, type Logger } from '@keywatch/logger';
import { createRedis, deleteKeysWithPrefix, type Redis } from '@keywatch/redis';
import type { Kafka } from 'kafkajs';
import { inject, test as base } from 'vitest';
import { repoRoot, type EngineEndpoints } from './engines.js';

/** Each test's own topics: every Keywatch topic name under a unique prefix. */
export interface KafkaFixture {
  brokers: string[];
  kafka: Kafka;
  /** e.g. `kwtest-1a2b3c4d.`; pass it as the services' KEYWATCH_TOPIC_PREFIX. */
  prefix: string;
  topics: TopicNames;
  /** Creates this test's topics from `infra/kafka/topics.json` (at most `maxPartitions` each, default 3). */
  provision(options?: { maxPartitions?: number }): Promise<void>;
}

/** Each test's own ClickHouse database, created empty and dropped after. */
export interface ClickHouseFixture {
  url: string;
  database: string;
}

/** Each test's own Redis key prefix; its keys are deleted after. */
export interface RedisFixture {
  url: string;
  prefix: string;
  /** A client whose keys all carry `prefix`. */
  client: Redis;
}

export interface Fixtures {
  engines: EngineEndpoints;
  logger: Logger;
  kafka: KafkaFixture;
  clickhouse: ClickHouseFixture;
  redis: RedisFixture;
}

const uniqueId = () => randomBytes(4).toString('hex');

async function clickhouseCommand(url: string, sql: string): Promise<void> {
  const response = await fetch(url, { method: 'POST', body: sql });
  if (!response.ok) throw new Error(`ClickHouse refused "${sql}": ${await response.text()}`);
}

/** `test` with isolated resources on the real engines. Use it in every `*.integration.test.ts`. */
export const test = base.extend<Fixtures>({
  engines: async ({}, use) => {
    await use(inject('keywatchEngines'));
  },
  logger: async ({}, use) => {
    const wanted = process.env.LOG_LEVEL ?? 'warn';
    await use(createLogger({ name: 'test', level: LOG_LEVELS.find((l) => l === wanted) ?? 'warn' }));
  },
  kafka: async ({ engines, logger }, use) => {
    const prefix = `kwtest-${uniqueId()}.`;
    const kafka = createKafka({ brokers: engines.kafkaBrokers, clientId: `test-${prefix}`, logger });
    const admin = kafka.admin();
    await admin.connect();
    const provision = async (options: { maxPartitions?: number } = {}) => {
      const definitions = loadTopicDefinitions(path.join(repoRoot, 'infra/kafka/topics.json')).map((d) => ({
        ...d,
        partitions: Math.min(d.partitions, options.maxPartitions ?? 3),
      }));
      await provisionTopics(admin, definitions, { prefix });
    };
    try {
      await use({ brokers: engines.kafkaBrokers, kafka, prefix, topics: topicNames(prefix), provision });
    } finally {
      const mine = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
      if (mine.length > 0) await admin.deleteTopics({ topics: mine }).catch(() => undefined);
      await admin.disconnect();
    }
  },
  clickhouse: async ({ engines }, use) => {
    const database = `kwtest_${uniqueId()}`;
    await clickhouseCommand(engines.clickhouseUrl, `CREATE DATABASE ${database}`);
    try {
      await use({ url: engines.clickhouseUrl, database });
    } finally {
      await clickhouseCommand(engines.clickhouseUrl, `DROP DATABASE IF EXISTS ${database}`);
    }
  },
  redis: async ({ engines }, use) => {
    const prefix = `kwtest:${uniqueId()}:`;
    const client = createRedis({ url: engines.redisUrl, keyPrefix: prefix, connectionName: 'testkit' });
    try {
      await use({ url: engines.redisUrl, prefix, client });
    } finally {
      // Every master of a cluster, one node otherwise (SCAN patterns ignore the client's prefix).
      await deleteKeysWithPrefix(engines.redisUrl, prefix);
      client.disconnect();
    }
  },
});

export { expect, describe } from 'vitest';
