import { randomBytes } from 'node:crypto';
import type { Kafka } from 'kafkajs';

/** A message as read back by {@link collectMessages}: key, parsed JSON value (or null) and headers as strings. */
export interface Collected<T = unknown> {
  key: string | null;
  value: T | null;
  headers: Record<string, string>;
  partition: number;
  offset: string;
}

/**
 * Reads `topic` from the beginning with a throwaway consumer group until `done(messages)` holds or
 * `timeoutMs` passes, and returns what it read (the caller asserts on it, so a timeout shows as a
 * failed expectation with the messages seen, not a hang).
 */
export async function collectMessages<T = unknown>(
  kafka: Kafka,
  topic: string,
  done: (messages: Collected<T>[]) => boolean,
  timeoutMs = 15_000,
): Promise<Collected<T>[]> {
  const consumer = kafka.consumer({ groupId: `collect-${randomBytes(6).toString('hex')}`, maxWaitTimeInMs: 200 });
  const messages: Collected<T>[] = [];
  let resolveDone: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (resolveDone = resolve));
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message, partition }) => {
      let value: T | null = null;
      try {
        value = message.value ? (JSON.parse(message.value.toString()) as T) : null;
      } catch {
        value = null;
      }
      const headers = Object.fromEntries(
        Object.entries(message.headers ?? {}).map(([k, v]) => [k, Array.isArray(v) ? String(v[0]) : String(v)]),
      );
      messages.push({ key: message.key?.toString() ?? null, value, headers, partition, offset: message.offset });
      if (done(messages)) resolveDone();
    },
  });
  const timer = setTimeout(resolveDone, timeoutMs);
  if (done(messages)) resolveDone();
  await finished;
  clearTimeout(timer);
  await consumer.disconnect();
  return messages;
}
