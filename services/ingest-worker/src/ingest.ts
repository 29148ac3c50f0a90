import { AuthEvent, decodeJson, formatIssues } from '@keywatch/contracts';
import { toDeadLetter, type BatchHandler, type EventProducer, type OutgoingMessage, type SourceMessage } from '@keywatch/kafka';
import type { Logger } from '@keywatch/logger';
import { writeOnce, type EventStore } from './dedup.js';
import type { Enricher } from './enrich.js';
import { toRow, type EnrichedRow } from './rows.js';

const DAY_MS = 86_400_000;

/** How {@link prepareMessages} turns messages into rows. */
export interface PrepareOptions {
  enricher: Enricher;
  /**
   * Events older than this many days are dead-lettered instead of ingested: their day may already
   * be dropped from the dedup index, so a replay could no longer be recognised. Default 30.
   */
  rawRetentionDays?: number;
  now?: () => number;
}

/** One dead letter and the short reason class counted in metrics. */
export interface Prepared {
  rows: EnrichedRow[];
  deadLetters: OutgoingMessage[];
  /** Per dead letter: `invalid` (the contract refused it) or `too_old`. */
  kinds: Array<'invalid' | 'too_old'>;
}

/** Validates, enriches and converts messages; the ones that cannot be ingested become dead letters with the reason. */
export function prepareMessages(messages: readonly SourceMessage[], options: PrepareOptions): Prepared {
  const oldest = (options.now?.() ?? Date.now()) - (options.rawRetentionDays ?? 30) * DAY_MS;
  const prepared: Prepared = { rows: [], deadLetters: [], kinds: [] };
  for (const message of messages) {
    const decoded = decodeJson(AuthEvent, message.value);
    if (!decoded.ok) {
      prepared.deadLetters.push(toDeadLetter(message, formatIssues(decoded.issues)));
      prepared.kinds.push('invalid');
      continue;
    }
    const event = decoded.value;
    if (Date.parse(event.ts) < oldest) {
      prepared.deadLetters.push(toDeadLetter(message, `ts: older than the raw-event retention (${options.rawRetentionDays ?? 30} days); not ingested so that counts stay exact`));
      prepared.kinds.push('too_old');
      continue;
    }
    const row = toRow(event);
    prepared.rows.push({ ...row, ...options.enricher.enrich(row.ip, row.user_agent) });
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
 * The ingest step for one consumed batch, without cross-batch batching: valid events are written
 * effectively once ({@link writeOnce}), invalid ones go to the dead-letter topic with the reason.
 * It resolves only when both are durable, so a consumer commits after that and never before. The
 * worker itself batches across partitions (see consumer.ts); this handler serves tools and tests
 * that drive one batch at a time.
 */
export function createIngestHandler(deps: IngestDependencies): BatchHandler {
  return async (batch) => {
    const { rows, deadLetters } = prepareMessages(batch.messages, deps);
    const [written] = await Promise.all([writeOnce(deps.store, rows), deps.producer.send(deps.dlqTopic, deadLetters)]);
    if (deadLetters.length > 0) {
      deps.logger.warn({ topic: batch.topic, partition: batch.partition, invalid: deadLetters.length }, 'auth events sent to the dead-letter topic');
    }
    deps.logger.debug({ topic: batch.topic, partition: batch.partition, ...written }, 'batch ingested');
  };
}
