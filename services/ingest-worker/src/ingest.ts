import { decodeAuthEvent } from '@keywatch/contracts';
import {
  toDeadLetter,
  type BatchHandler,
  type EventProducer,
  type OutgoingMessage,
  type SourceMessage,
} from '@keywatch/kafka';
import type { Logger } from '@keywatch/logger';
import { writeOnce, type EventStore } from './dedup.js';
import type { Enricher } from './enrich.js';
import type { RowWriter } from './row-pool.js';
import { RowBinaryValueError } from '@keywatch/clickhouse';
import { encodeRow, encodeRowBinary, MAX_UINT32, toEnrichedRow, type EncodedRow, type InsertFormat } from './rows.js';

const DAY_MS = 86_400_000;
const DEFAULT_MAX_FUTURE_MS = DAY_MS;

/** How {@link prepareMessages} turns messages into rows. */
export interface PrepareOptions {
  enricher: Enricher;
  /**
   * Events older than this many days are dead-lettered instead of ingested: their day may already
   * be dropped from the dedup index, so a replay could no longer be recognised. Default 30.
   */
  rawRetentionDays?: number;
  /**
   * Events whose `ts` is further ahead of this worker's clock than this (ms) are dead-lettered:
   * a gateway with a broken clock would otherwise open a partition per future day (and ClickHouse's
   * DateTime silently wraps years past 2105). Default one day.
   */
  maxFutureMs?: number;
  /** How rows are encoded for the insert (the inserter must send the same format). Default `JSONEachRow`. */
  format?: InsertFormat;
  now?: () => number;
}

/** Why a message became a dead letter (the `reason` label of the DLQ metric). */
export type DeadLetterKind = 'invalid' | 'too_old' | 'too_new' | 'unstorable' | 'refused';

/** A consumed message without its position (KafkaJS's message objects are such). */
export type ConsumedMessage = Pick<SourceMessage, 'offset' | 'key' | 'value' | 'headers'>;

/** One partition's messages: a KafkaJS batch, or a `ConsumedBatch` of `@keywatch/kafka`. */
export interface MessagesAt {
  topic: string;
  partition: number;
  messages: readonly ConsumedMessage[];
}

/** Message `index` of `batch` as a {@link SourceMessage} (for {@link toDeadLetter}). */
export function sourceAt(batch: MessagesAt, index: number): SourceMessage {
  const { offset, key, value, headers } = batch.messages[index]!;
  return { topic: batch.topic, partition: batch.partition, offset, key, value, headers };
}

/** The rows of a batch, where each came from, and the dead letters with their reason class. */
export interface Prepared {
  rows: EncodedRow[];
  /**
   * The index in the batch's messages of each row's message (same index as the row), to
   * dead-letter a row ClickHouse refuses ({@link sourceAt}). Indexes, not copies: the worker keeps
   * nothing per message beyond what KafkaJS holds anyway.
   */
  origins: number[];
  deadLetters: OutgoingMessage[];
  /** Per dead letter: `invalid` (the contract refused it), `too_old`, `too_new` or `unstorable`. */
  kinds: DeadLetterKind[];
}

/**
 * Validates, enriches and converts messages; the ones that cannot be ingested become dead letters
 * with the reason: refused by the contract, outside the time window the store keeps exactly
 * (older than the raw retention, further ahead than `maxFutureMs`), or holding a value the
 * columns cannot (a rate limit above 2^32 - 1, which ClickHouse would wrap silently). Rows are
 * written into `writer`'s pooled chunks when one is given (the worker), else into bytes of their own.
 */
export function prepareMessages(batch: MessagesAt, options: PrepareOptions, writer?: RowWriter): Prepared {
  const now = options.now?.() ?? Date.now();
  const retentionDays = options.rawRetentionDays ?? 30;
  const oldest = now - retentionDays * DAY_MS;
  const maxFutureMs = options.maxFutureMs ?? DEFAULT_MAX_FUTURE_MS;
  const newest = now + maxFutureMs;
  const { enricher } = options;
  const binary = options.format === 'RowBinary';
  const prepared: Prepared = { rows: [], origins: [], deadLetters: [], kinds: [] };
  const refuse = (index: number, kind: DeadLetterKind, reason: string) => {
    prepared.deadLetters.push(toDeadLetter(sourceAt(batch, index), reason));
    prepared.kinds.push(kind);
  };
  const { messages } = batch;
  for (let index = 0; index < messages.length; index++) {
    const decoded = decodeAuthEvent(messages[index]!.value);
    if (!decoded.ok) {
      refuse(index, 'invalid', decoded.reason);
      continue;
    }
    const event = decoded.event;
    const at = Date.parse(event.ts);
    if (at < oldest) {
      refuse(
        index,
        'too_old',
        `ts: older than the raw-event retention (${retentionDays} days); not ingested so that counts stay exact`,
      );
    } else if (at > newest) {
      refuse(
        index,
        'too_new',
        `ts: more than ${Math.round(maxFutureMs / 60_000)} minutes ahead of the ingest worker's clock; not ingested`,
      );
    } else if (
      event.rate_limit &&
      (event.rate_limit.limit > MAX_UINT32 ||
        event.rate_limit.remaining > MAX_UINT32 ||
        event.rate_limit.window_s > MAX_UINT32)
    ) {
      refuse(
        index,
        'unstorable',
        `rate_limit: values above ${MAX_UINT32} do not fit the rate-limit columns; not ingested`,
      );
    } else {
      const row = toEnrichedRow(event, enricher.geo(event.ip), enricher.userAgentClass(event.user_agent ?? ''));
      if (!binary) {
        prepared.rows.push(encodeRow(row, writer));
      } else {
        try {
          prepared.rows.push(encodeRowBinary(row, at, writer));
        } catch (error) {
          if (!(error instanceof RowBinaryValueError)) throw error;
          // What ClickHouse refuses in JSONEachRow (e.g. a lone surrogate) is refused here, by field.
          refuse(index, 'unstorable', `${error.message}; not ingested`);
          continue;
        }
      }
      prepared.origins.push(index);
    }
  }
  return prepared;
}

export interface IngestDependencies extends PrepareOptions {
  store: EventStore;
  producer: EventProducer;
  /** The dead-letter topic (with the deployment prefix). */
  dlqTopic: string;
  logger: Logger;
}

/**
 * The ingest step for one consumed batch, without cross-batch batching (the worker batches in
 * consumer.ts; this serves tools and tests): valid events written once ({@link writeOnce}), the
 * rest dead-lettered with the reason. Resolves only when both are durable.
 */
export function createIngestHandler(deps: IngestDependencies): BatchHandler {
  return async (batch) => {
    const { rows, origins, deadLetters } = prepareMessages(batch, deps);
    const [written] = await Promise.all([writeOnce(deps.store, rows), deps.producer.send(deps.dlqTopic, deadLetters)]);
    if (written.refused.length > 0) {
      const at = new Map(rows.map((row, i) => [row, i]));
      await deps.producer.send(
        deps.dlqTopic,
        written.refused.map(({ row, reason }) => toDeadLetter(sourceAt(batch, origins[at.get(row)!]!), reason)),
      );
    }
    if (deadLetters.length + written.refused.length > 0) {
      deps.logger.warn(
        {
          topic: batch.topic,
          partition: batch.partition,
          invalid: deadLetters.length,
          refused: written.refused.length,
        },
        'auth events sent to the dead-letter topic',
      );
    }
    deps.logger.debug(
      { topic: batch.topic, partition: batch.partition, inserted: written.inserted, duplicates: written.duplicates },
      'batch ingested',
    );
  };
}
