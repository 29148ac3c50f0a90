import kafkajs, { type Admin, type ITopicConfig } from 'kafkajs';

// KafkaJS is CommonJS and Node cannot see this enum as a named ESM export.
const { ConfigResourceTypes } = kafkajs;

/** One topic as `infra/kafka/topics.json` defines it (name without the deployment prefix). */
export interface TopicDefinition {
  name: string;
  partitions: number;
  retention_ms: number;
}

export interface ProvisionOptions {
  /** KEYWATCH_TOPIC_PREFIX, prepended to every name. */
  prefix?: string;
  /** Default: min(3, number of brokers). */
  replicationFactor?: number;
}

/** What provisioning did to each topic. */
export interface ProvisionResult {
  topic: string;
  action: 'created' | 'partitions_added' | 'config_updated' | 'unchanged';
}

/**
 * Creates missing topics and brings existing ones up to their definition: more partitions (never
 * fewer; Kafka cannot shrink) and the defined retention. Safe to rerun.
 */
export async function provisionTopics(
  admin: Admin,
  definitions: TopicDefinition[],
  options: ProvisionOptions = {},
): Promise<ProvisionResult[]> {
  const prefix = options.prefix ?? '';
  const brokers = (await admin.describeCluster()).brokers.length;
  const replicationFactor = options.replicationFactor ?? Math.min(3, brokers);
  const existing = new Set(await admin.listTopics());
  const wanted = definitions.map((d) => ({ ...d, name: `${prefix}${d.name}` }));
  const results: ProvisionResult[] = [];

  const missing = wanted.filter((d) => !existing.has(d.name));
  if (missing.length > 0) {
    const topics: ITopicConfig[] = missing.map((d) => ({
      topic: d.name,
      numPartitions: d.partitions,
      replicationFactor,
      configEntries: [
        { name: 'retention.ms', value: String(d.retention_ms) },
        { name: 'min.insync.replicas', value: String(Math.min(2, replicationFactor)) },
      ],
    }));
    await admin.createTopics({ topics, waitForLeaders: false });
    results.push(...missing.map((d) => ({ topic: d.name, action: 'created' as const })));
  }

  const present = wanted.filter((d) => existing.has(d.name));
  if (present.length === 0) {
    await waitUntilServed(admin, wanted);
    return results;
  }
  const metadata = await admin.fetchTopicMetadata({ topics: present.map((d) => d.name) });
  const configs = await admin.describeConfigs({
    includeSynonyms: false,
    resources: present.map((d) => ({ type: ConfigResourceTypes.TOPIC, name: d.name, configNames: ['retention.ms'] })),
  });
  for (const d of present) {
    const partitions = metadata.topics.find((t) => t.name === d.name)?.partitions.length ?? 0;
    const retention = configs.resources
      .find((r) => r.resourceName === d.name)
      ?.configEntries.find((e) => e.configName === 'retention.ms')?.configValue;
    let action: ProvisionResult['action'] = 'unchanged';
    if (partitions < d.partitions) {
      await admin.createPartitions({ topicPartitions: [{ topic: d.name, count: d.partitions }] });
      action = 'partitions_added';
    }
    if (retention !== String(d.retention_ms)) {
      // alterConfigs replaces the topic's whole override set unless validateOnly; name every override we own.
      await admin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: ConfigResourceTypes.TOPIC,
            name: d.name,
            configEntries: [
              { name: 'retention.ms', value: String(d.retention_ms) },
              { name: 'min.insync.replicas', value: String(Math.min(2, replicationFactor)) },
            ],
          },
        ],
      });
      if (action === 'unchanged') action = 'config_updated';
    }
    results.push({ topic: d.name, action });
  }
  await waitUntilServed(admin, wanted);
  return results;
}

/**
 * Waits until the cluster's metadata shows every topic with its partitions and a leader for each.
 * KafkaJS's own `waitForLeaders` gives up on the first "does not host this topic-partition",
 * which a busy broker answers for a moment after creating a topic.
 */
async function waitUntilServed(admin: Admin, wanted: readonly TopicDefinition[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let problem = 'no metadata yet';
  while (Date.now() < deadline) {
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: wanted.map((d) => d.name) });
      const lagging = wanted.find((d) => {
        const partitions = topics.find((t) => t.name === d.name)?.partitions ?? [];
        return partitions.length < d.partitions || partitions.some((p) => p.leader < 0);
      });
      if (!lagging) return;
      problem = `${lagging.name} not yet served with ${lagging.partitions} partitions`;
    } catch (error) {
      problem = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`topics not ready after ${timeoutMs / 1000} s: ${problem}`);
}
