import path from 'node:path';
import { createClickHouse, runMigrations, type ClickHouse } from '@keywatch/clickhouse';
import { authEventMessage, newEventId, type AuthEvent } from '@keywatch/contracts';
import {
  createKafka,
  createProducer,
  loadTopicDefinitions,
  provisionTopics,
  type EventProducer,
} from '@keywatch/kafka';
import { deleteKeysWithPrefix } from '@keywatch/redis';
import type { Logger } from '@keywatch/logger';

// Running real workers on real engines outside the per-test fixtures too: throwaway targets, event
// production keyed as gateways key it, and reading a topic. Used by tests, the evaluation and benches.

/** The engines and names one run uses (the testkit fixtures provide them in tests). */
export interface StackTarget {
  brokers: string[];
  kafka: ReturnType<typeof createKafka>;
  topicPrefix: string;
  clickhouseUrl: string;
  database: string;
  redisUrl: string;
  redisPrefix: string;
  logger: Logger;
  repoRoot: string;
}

/** Applies the ClickHouse migrations to the target database and returns a client bound to it. */
export async function prepareClickHouse(target: StackTarget): Promise<ClickHouse> {
  const ch = createClickHouse({ url: target.clickhouseUrl, database: target.database, logger: target.logger });
  await runMigrations(ch, {
    directory: path.join(target.repoRoot, 'infra/clickhouse/migrations'),
    database: target.database,
    logger: target.logger,
  });
  return ch;
}

/** Produces events keyed as gateways key them, in chunks, in the given order. */
export async function produceEvents(
  producer: EventProducer,
  topic: string,
  events: readonly AuthEvent[],
  chunk = 500,
): Promise<void> {
  for (let i = 0; i < events.length; i += chunk) {
    await producer.send(topic, events.slice(i, i + chunk).map(authEventMessage));
  }
}

export { createProducer };

/** Where the engines are, for a run outside the test fixtures (the evaluation, the benchmark). */
export interface Engines {
  brokers: string[];
  clickhouseUrl: string;
  redisUrl: string;
  logger: Logger;
  repoRoot: string;
}

/**
 * A throwaway target on real engines: topics under a unique prefix (from `infra/kafka/topics.json`,
 * at most `partitions` each), a fresh ClickHouse database and Redis prefix; `dispose` removes them.
 */
export async function ephemeralTarget(
  engines: Engines,
  partitions = 12,
): Promise<{ target: StackTarget; dispose(): Promise<void> }> {
  const id = newEventId().replace(/-/g, '').slice(-10);
  const topicPrefix = `kwdetect-${id}.`;
  const kafka = createKafka({ brokers: engines.brokers, clientId: `detector-run-${id}`, logger: engines.logger });
  const admin = kafka.admin();
  await admin.connect();
  const definitions = loadTopicDefinitions(path.join(engines.repoRoot, 'infra/kafka/topics.json')).map((d) => ({
    ...d,
    partitions: Math.min(d.partitions, partitions),
  }));
  await provisionTopics(admin, definitions, { prefix: topicPrefix });
  const target: StackTarget = {
    brokers: engines.brokers,
    kafka,
    topicPrefix,
    clickhouseUrl: engines.clickhouseUrl,
    database: `kwdetect_${id}`,
    redisUrl: engines.redisUrl,
    redisPrefix: `kwdetect:${id}:`,
    logger: engines.logger,
    repoRoot: engines.repoRoot,
  };
  return {
    target,
    async dispose() {
      const mine = (await admin.listTopics()).filter((t) => t.startsWith(topicPrefix));
      if (mine.length > 0) await admin.deleteTopics({ topics: mine }).catch(() => undefined);
      await admin.disconnect();
      const ch = createClickHouse({ url: engines.clickhouseUrl, database: 'system', logger: engines.logger });
      await ch.command(`DROP DATABASE IF EXISTS ${target.database}`).catch(() => undefined);
      await ch.close();
      await deleteKeysWithPrefix(engines.redisUrl, target.redisPrefix);
    },
  };
}

/** Reads a topic from the start into `sink` until `close()`; each message with its arrival time. */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- callers name the JSON shape they expect on the topic
export async function tail<T>(
  target: StackTarget,
  topic: string,
  sink: (value: T, receivedAt: number) => void,
): Promise<{ close(): Promise<void> }> {
  const consumer = target.kafka.consumer({ groupId: `detector-tail-${newEventId()}`, maxWaitTimeInMs: 50 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (message.value) sink(JSON.parse(message.value.toString()) as T, Date.now());
    },
  });
  return { close: () => consumer.disconnect() };
}
