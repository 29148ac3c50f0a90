import { toDeadLetter, type createKafka, type EventProducer, type OutgoingMessage } from '@keywatch/kafka';
import type { Logger } from '@keywatch/logger';
import type { Batcher } from './batcher.js';
import { prepareMessages, sourceAt, type PrepareOptions } from './ingest.js';
import type { IngestMetrics } from './metrics.js';
import type { RowPool } from './row-pool.js';

type Kafka = ReturnType<typeof createKafka>;
type Consumer = ReturnType<Kafka['consumer']>;
type EachBatchPayload = Parameters<NonNullable<NonNullable<Parameters<Consumer['run']>[0]>['eachBatch']>>[0];

// A produce request's record batch per partition must stay under the broker's message.max.bytes
// (1 MiB by default); a fetched batch of dead letters with their headers can exceed it.
const DLQ_CHUNK_BYTES = 256 * 1024;

/** Sends messages in several requests of at most about {@link DLQ_CHUNK_BYTES} each, in order. */
export async function sendInChunks(
  producer: EventProducer,
  topic: string,
  messages: readonly OutgoingMessage[],
): Promise<void> {
  let chunk: OutgoingMessage[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = messageSize(message);
    if (chunk.length > 0 && bytes + size > DLQ_CHUNK_BYTES) {
      await producer.send(topic, chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(message);
    bytes += size;
  }
  if (chunk.length > 0) await producer.send(topic, chunk);
}

function messageSize(message: OutgoingMessage): number {
  let size = 64 + (message.key?.length ?? 0) + message.value.length;
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    for (const item of Array.isArray(value) ? value : [value]) size += name.length + item.length + 8;
  }
  return size;
}

/** Options of {@link createIngestConsumer}. */
export interface IngestConsumerOptions extends PrepareOptions {
  kafka: Kafka;
  groupId: string;
  topic: string;
  dlqTopic: string;
  producer: EventProducer;
  batcher: Batcher;
  /** Where the rows' bytes wait for their insert (see row-pool.ts). */
  rowPool: RowPool;
  metrics: IngestMetrics;
  logger: Logger;
  /**
   * Group members this instance runs (default 2), sharing the batcher. KafkaJS fetches again only
   * once every batch of the last fetch is handled — here, once its rows are durable — so with one
   * member the fetch, the preparation and the insert take turns; with two, one member fetches and
   * prepares while the other's rows are being inserted.
   */
  members?: number;
  /** Partitions one member handles at once; each holds at most one fetched batch. Default 4. */
  partitionsConcurrently?: number;
  /** Bytes fetched per partition and request (default 1 MiB). */
  maxBytesPerPartition?: number;
  /** Bytes one fetch request may bring back over all its partitions (default 8 MiB): with `members`, the bound on fetched memory. */
  maxBytesPerFetch?: number;
  /** How often a waiting batch heartbeats (ms). Default 2 000. */
  heartbeatEveryMs?: number;
}

export interface IngestConsumer {
  start(): Promise<void>;
  /** Stops fetching; the batches in hand finish (written and committed, or abandoned uncommitted). Idempotent. */
  close(): Promise<void>;
}

/**
 * The worker's consumer-group members: each partition batch is validated, enriched and handed to the
 * shared {@link Batcher}, and its offsets committed only once its rows and dead letters are durable.
 * On a rebalance it abandons its rows and throws, so a partition never has two writers at once.
 */
export function createIngestConsumer(options: IngestConsumerOptions): IngestConsumer {
  const log = options.logger.child({ component: 'ingest-consumer', group: options.groupId });
  const heartbeatEveryMs = options.heartbeatEveryMs ?? 2_000;
  const consumers: Consumer[] = Array.from({ length: Math.max(1, options.members ?? 2) }, () =>
    options.kafka.consumer({
      groupId: options.groupId,
      maxBytesPerPartition: options.maxBytesPerPartition ?? 1024 * 1024,
      maxBytes: options.maxBytesPerFetch ?? 8 * 1024 * 1024,
      maxWaitTimeInMs: 500,
      allowAutoTopicCreation: false,
    }),
  );
  let closing: Promise<void> | undefined;
  let paused = false;

  const setPaused = (value: boolean) => {
    if (paused === value || closing) return;
    paused = value;
    for (const consumer of consumers) {
      if (value) consumer.pause([{ topic: options.topic }]);
      else consumer.resume([{ topic: options.topic }]);
    }
  };

  async function handle({
    batch,
    heartbeat,
    isRunning,
    isStale,
    commitOffsetsIfNecessary,
  }: EachBatchPayload): Promise<void> {
    if (!isRunning() || isStale() || batch.messages.length === 0) return;
    const { topic, partition } = batch;
    options.metrics.eventsIn.inc(batch.messages.length);
    // Straight from KafkaJS's batch: rows go to the pool, and a refused row's message is found
    // again by its index, so nothing per message is copied.
    const writer = options.rowPool.writer();
    const prepared = prepareMessages(batch, options, writer);
    const contribution = options.batcher.add(prepared.rows, () => writer.release());
    let refusals = 0;
    const durable = Promise.all([
      contribution.done.then(async (refused) => {
        refusals = refused.length;
        if (refused.length === 0) return;
        await sendInChunks(
          options.producer,
          options.dlqTopic,
          refused.map(({ index, reason }) => toDeadLetter(sourceAt(batch, prepared.origins[index]!), reason)),
        );
      }),
      sendInChunks(options.producer, options.dlqTopic, prepared.deadLetters),
    ]);
    durable.catch(() => undefined);
    let settled = false as boolean; // set by the callbacks below
    void durable.then(
      () => (settled = true),
      () => (settled = true),
    );
    while (!settled) {
      await Promise.race([durable.catch(() => undefined), new Promise((r) => setTimeout(r, heartbeatEveryMs))]);
      setPaused(options.batcher.blocked());
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- settled by the callbacks during the race
      if (settled) break;
      try {
        await heartbeat();
      } catch (error) {
        log.info({ topic, partition, err: error }, 'rebalance while the batch waits: abandoning it uncommitted');
        await contribution.abandon();
        throw error;
      }
    }
    await durable;
    setPaused(false);
    for (const kind of prepared.kinds) options.metrics.deadLetters.inc({ reason: kind });
    if (refusals > 0) options.metrics.deadLetters.inc({ reason: 'refused' }, refusals);
    if (prepared.deadLetters.length + refusals > 0) {
      log.info(
        { topic, partition, dead_letters: prepared.deadLetters.length, refused_by_clickhouse: refusals },
        'auth events sent to the dead-letter topic',
      );
    }
    const next = (BigInt(batch.lastOffset()) + 1n).toString();
    // As in @keywatch/kafka: with explicit offsets this commits even while close() is under way.
    await commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition, offset: next }] }] });
    const lag = BigInt(batch.highWatermark) - BigInt(next);
    options.metrics.lag.set({ partition: String(partition) }, Number(lag > 0n ? lag : 0n));
  }

  return {
    async start() {
      for (const consumer of consumers) {
        await consumer.connect();
        await consumer.subscribe({ topics: [options.topic], fromBeginning: true });
      }
      // The members join concurrently; one after another, each join would rebalance the others.
      await Promise.all(
        consumers.map((consumer) =>
          consumer.run({
            autoCommit: false,
            partitionsConsumedConcurrently: options.partitionsConcurrently ?? 4,
            eachBatch: handle,
          }),
        ),
      );
    },
    close() {
      closing ??= Promise.all(
        consumers.map((consumer) =>
          consumer.disconnect().catch((error: unknown) => log.warn({ err: error }, 'consumer disconnect failed')),
        ),
      ).then(() => undefined);
      return closing;
    },
  };
}
