import { readFileSync } from 'node:fs';
import type { TopicDefinition } from './topics.js';

/** Reads topic definitions (the shape of `infra/kafka/topics.json`), rejecting a malformed entry by name. */
export function loadTopicDefinitions(file: string): TopicDefinition[] {
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  const topics = (parsed as { topics?: unknown }).topics;
  if (!Array.isArray(topics)) throw new Error(`${file}: expected { "topics": [...] }`);
  return topics.map((t: unknown, i: number) => {
    const { name, partitions, retention_ms } = (t ?? {}) as Record<string, unknown>;
    if (typeof name !== 'string' || !/^[A-Za-z0-9._-]+$/.test(name))
      throw new Error(`${file}: topics[${i}].name must be a Kafka topic name`);
    if (!Number.isInteger(partitions) || (partitions as number) < 1)
      throw new Error(`${file}: topics[${i}].partitions must be a positive integer`);
    if (!Number.isInteger(retention_ms) || (retention_ms as number) < -1)
      throw new Error(`${file}: topics[${i}].retention_ms must be an integer ≥ -1`);
    return { name, partitions: partitions as number, retention_ms: retention_ms as number };
  });
}
