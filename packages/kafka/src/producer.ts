import type { Kafka, Message, Producer } from 'kafkajs';

/** A message as Keywatch produces it: key and value bytes, optional headers. */
export interface OutgoingMessage {
  key: string | Buffer | null;
  value: string | Buffer;
  headers?: Record<string, string | Buffer>;
}

/** The producing side every service depends on (an in-memory implementation serves unit tests). */
export interface EventProducer {
  /** Resolves once every message is acknowledged by all in-sync replicas. */
  send(topic: string, messages: OutgoingMessage[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * An idempotent producer with `acks=all`: a retried send cannot duplicate or reorder a partition's
 * messages. One call sends its messages in batches per partition (KafkaJS groups them by leader).
 */
export async function createProducer(kafka: Kafka): Promise<EventProducer> {
  // KIP-98: idempotence needs acks=all and one request in flight per connection.
  const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  let closed: Promise<void> | undefined;
  return {
    async send(topic, messages) {
      if (messages.length === 0) return;
      await producer.send({ topic, acks: -1, messages: messages as Message[] });
    },
    close() {
      closed ??= producer.disconnect();
      return closed;
    },
  };
}
