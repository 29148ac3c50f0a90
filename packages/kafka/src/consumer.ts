import type { Logger } from '@keywatch/logger';
import type { Consumer, Kafka } from 'kafkajs';
import type { SourceMessage } from './dead-letter.js';

/** One partition's batch, handed to a handler. */
export interface ConsumedBatch {
  topic: string;
  partition: number;
  messages: SourceMessage[];
  /** Call during long work so the group coordinator does not evict this member. */
  heartbeat(): Promise<void>;
}

/**
 * Makes a batch's effect durable (a ClickHouse insert, a produce to another topic) or throws.
 * Throwing means nothing of the batch is committed: the batch is retried, then redelivered after
 * a restart or rebalance, so handlers must be idempotent (ClickHouse rows on event_id, alerts on
 * dedup_key).
 */
export type BatchHandler = (batch: ConsumedBatch) => Promise<void>;

export interface ConsumerRunnerOptions {
  kafka: Kafka;
  groupId: string;
  topics: string[];
  handler: BatchHandler;
  logger: Logger;
  /** Where a group without committed offsets starts (default: the beginning, so nothing is skipped). */
  fromBeginning?: boolean;
  /** Upper bound on the bytes fetched per partition, which bounds a batch's memory (default 1 MiB). */
  maxBytesPerPartition?: number;
  /**
   * How long the broker may hold an empty fetch (default 1000 ms). Shutdown waits for the fetch in
   * flight, so KafkaJS's 5 s default made every close take up to 5 s; idle cost is one request per
   * second per consumer.
   */
  maxWaitTimeMs?: number;
  /**
   * The broker holds a fetch until this many bytes are ready or `maxWaitTimeMs` passed (default 1:
   * answer as soon as anything is there). Raising it trades up to `maxWaitTimeMs` of latency for
   * fewer, larger batches when per-batch costs dominate.
   */
  minBytes?: number;
  /**
   * How many partitions' batches the handler may work on at once (default 1). Each batch still
   * commits only its own partition's offsets after its own handler resolved, so ordering within a
   * partition and commit-after-durable hold; handlers must be safe to run concurrently.
   */
  partitionsConsumedConcurrently?: number;
}

export interface ConsumerRunner {
  start(): Promise<void>;
  /** Stops fetching, lets the batch in hand finish and commit, leaves the group. Idempotent. */
  close(): Promise<void>;
}

/** A consumer-group member on `eachBatch` that commits a batch's offsets only after its handler resolved. */
export function createConsumerRunner(options: ConsumerRunnerOptions): ConsumerRunner {
  const log = options.logger.child({ component: 'consumer', group: options.groupId });
  const consumer: Consumer = options.kafka.consumer({
    groupId: options.groupId,
    maxBytesPerPartition: options.maxBytesPerPartition ?? 1024 * 1024,
    maxWaitTimeInMs: options.maxWaitTimeMs ?? 1000,
    minBytes: options.minBytes ?? 1,
    allowAutoTopicCreation: false,
  });
  let closing: Promise<void> | undefined;
  return {
    async start() {
      await consumer.connect();
      await consumer.subscribe({ topics: options.topics, fromBeginning: options.fromBeginning ?? true });
      await consumer.run({
        autoCommit: false,
        partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 1,
        // Nothing is marked consumed unless the handler succeeded (an early return re-fetches).
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset, commitOffsetsIfNecessary }) => {
          if (!isRunning() || isStale() || batch.messages.length === 0) return;
          await options.handler({
            topic: batch.topic,
            partition: batch.partition,
            heartbeat,
            messages: batch.messages.map((m) => ({
              topic: batch.topic,
              partition: batch.partition,
              offset: m.offset,
              key: m.key,
              value: m.value,
              headers: m.headers,
            })),
          });
          resolveOffset(batch.lastOffset());
          // The committed offset is the next one to read: last handled + 1.
          const next = (BigInt(batch.lastOffset()) + 1n).toString();
          // Not consumer.commitOffsets: once close() has begun, KafkaJS drops that call silently, so
          // the batch in hand would finish uncommitted and be redelivered. Given offsets, this one
          // commits them unconditionally, while the member is still in the group.
          await commitOffsetsIfNecessary({
            topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] }],
          });
          log.debug(
            { topic: batch.topic, partition: batch.partition, offset: next, count: batch.messages.length },
            'batch committed',
          );
        },
      });
    },
    close() {
      closing ??= consumer
        .disconnect()
        .catch((error: unknown) => log.warn({ err: error }, 'consumer disconnect failed'));
      return closing;
    },
  };
}
