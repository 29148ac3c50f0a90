import kafkajs, { type Admin } from 'kafkajs';
import { expect, test } from '@keywatch/testkit';
import { provisionTopics, type TopicDefinition } from './topics.js';

const { ConfigResourceTypes } = kafkajs;

const DAY = 86_400_000;

async function partitionCounts(admin: Admin, topics: string[]): Promise<Record<string, number>> {
  const { topics: metadata } = await admin.fetchTopicMetadata({ topics });
  return Object.fromEntries(metadata.map((t) => [t.name, t.partitions.length]));
}

async function retentions(admin: Admin, topics: string[]): Promise<Record<string, string | undefined>> {
  const { resources } = await admin.describeConfigs({
    includeSynonyms: false,
    resources: topics.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: ['retention.ms'] })),
  });
  return Object.fromEntries(
    resources.map((r) => [r.resourceName, r.configEntries.find((e) => e.configName === 'retention.ms')?.configValue]),
  );
}

test('provisioning creates prefixed topics as defined and brings existing ones up to a changed definition', async ({
  kafka,
}) => {
  const admin = kafka.kafka.admin();
  await admin.connect();
  try {
    const { prefix } = kafka;
    const events = `${prefix}events`;
    const alerts = `${prefix}alerts`;
    const definitions: TopicDefinition[] = [
      { name: 'events', partitions: 2, retention_ms: 7 * DAY },
      { name: 'alerts', partitions: 1, retention_ms: 30 * DAY },
    ];

    expect(await provisionTopics(admin, definitions, { prefix })).toEqual([
      { topic: events, action: 'created' },
      { topic: alerts, action: 'created' },
    ]);
    expect((await admin.listTopics()).filter((t) => t.startsWith(prefix)).sort()).toEqual([alerts, events]);
    expect(await partitionCounts(admin, [events, alerts])).toEqual({ [events]: 2, [alerts]: 1 });
    expect(await retentions(admin, [events, alerts])).toEqual({
      [events]: String(7 * DAY),
      [alerts]: String(30 * DAY),
    });

    expect(await provisionTopics(admin, definitions, { prefix })).toEqual([
      { topic: events, action: 'unchanged' },
      { topic: alerts, action: 'unchanged' },
    ]);

    const morePartitions = [{ ...definitions[0]!, partitions: 4 }, definitions[1]!];
    expect(await provisionTopics(admin, morePartitions, { prefix })).toEqual([
      { topic: events, action: 'partitions_added' },
      { topic: alerts, action: 'unchanged' },
    ]);
    expect(await partitionCounts(admin, [events])).toEqual({ [events]: 4 });

    const longerRetention = [morePartitions[0]!, { ...definitions[1]!, retention_ms: 90 * DAY }];
    expect(await provisionTopics(admin, longerRetention, { prefix })).toEqual([
      { topic: events, action: 'unchanged' },
      { topic: alerts, action: 'config_updated' },
    ]);
    expect(await retentions(admin, [events, alerts])).toEqual({
      [events]: String(7 * DAY),
      [alerts]: String(90 * DAY),
    });

    // Both at once: the partitions are the reported action, and the retention changes too.
    const both = [{ ...longerRetention[0]!, partitions: 5, retention_ms: -1 }, longerRetention[1]!];
    expect(await provisionTopics(admin, both, { prefix })).toEqual([
      { topic: events, action: 'partitions_added' },
      { topic: alerts, action: 'unchanged' },
    ]);
    expect(await partitionCounts(admin, [events])).toEqual({ [events]: 5 });
    expect(await retentions(admin, [events])).toEqual({ [events]: '-1' });
  } finally {
    await admin.disconnect();
  }
});

test('a definition with fewer partitions than the topic has leaves the topic as it is', async ({ kafka }) => {
  const admin = kafka.kafka.admin();
  await admin.connect();
  try {
    const { prefix } = kafka;
    const topic = `${prefix}events`;
    await provisionTopics(admin, [{ name: 'events', partitions: 3, retention_ms: DAY }], { prefix });

    expect(await provisionTopics(admin, [{ name: 'events', partitions: 1, retention_ms: DAY }], { prefix })).toEqual([
      { topic, action: 'unchanged' },
    ]);
    expect(await partitionCounts(admin, [topic])).toEqual({ [topic]: 3 });
  } finally {
    await admin.disconnect();
  }
});

test('a topic created without a retention override gets the defined retention', async ({ kafka }) => {
  const admin = kafka.kafka.admin();
  await admin.connect();
  try {
    const { prefix } = kafka;
    const topic = `${prefix}events`;
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });

    expect(
      await provisionTopics(admin, [{ name: 'events', partitions: 1, retention_ms: 3 * DAY }], { prefix }),
    ).toEqual([{ topic, action: 'config_updated' }]);
    expect(await retentions(admin, [topic])).toEqual({ [topic]: String(3 * DAY) });
  } finally {
    await admin.disconnect();
  }
});
