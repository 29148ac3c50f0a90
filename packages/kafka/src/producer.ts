import kafkajs, { type Kafka, type Producer } from 'kafkajs';

const { Partitioners } = kafkajs;

/** A message as Keywatch produces it: key and value bytes, optional headers. */
export interface OutgoingMessage {
  key: string | Buffer | null;
  value: string | Buffer;
  /** A header that occurs more than once is an array of its values, as KafkaJS reads and writes it. */
  headers?: Record<string, string | Buffer | (string | Buffer)[]>;
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
  const producer: Producer = kafka.producer({
    // KIP-98: idempotence needs acks=all, one request in flight per connection and unbounded
    // retries (a send given up on may or may not have been written). A send therefore waits out a
    // Kafka outage instead of failing; callers that must not wait (gateways) buffer in front of it.
    idempotent: true,
    maxInFlightRequests: 1,
    retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 200, maxRetryTime: 10_000 },
    // Java-compatible murmur2: the same key lands on the same partition as with any other client.
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  let closed: Promise<void> | undefined;
  return {
    async send(topic, messages) {
      if (messages.length === 0) return;
      await producer.send({ topic, acks: -1, messages: messages });
    },
    close() {
      closed ??= producer.disconnect();
      return closed;
    },
  };
}
