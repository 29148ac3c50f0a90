import { AuthEvent, decodeJson, formatIssues } from '@keywatch/contracts';
import { toDeadLetter, type BatchHandler, type EventProducer, type OutgoingMessage } from '@keywatch/kafka';
import type { Logger } from '@keywatch/logger';
import { toRow, type AuthEventRow } from './rows.js';

/** Where validated rows go: ClickHouse in production, an array in unit tests. */
export interface RowSink {
  insert(table: string, rows: AuthEventRow[]): Promise<void>;
}

export interface IngestDependencies {
  sink: RowSink;
  producer: EventProducer;
  /** The dead-letter topic (with the deployment prefix). */
  dlqTopic: string;
  /** Table name, default `auth_events`. */
  table?: string;
  logger: Logger;
}

/**
 * The ingest step for one batch: valid events become rows in one insert, invalid ones go to the
 * dead-letter topic with the reason. It resolves only when both are durable, so the consumer commits
 * the batch's offsets after that and never before: a crash in between redelivers the batch, and the
 * table's ReplacingMergeTree on event_id absorbs the repeat.
 */
export function createIngestHandler(deps: IngestDependencies): BatchHandler {
  const table = deps.table ?? 'auth_events';
  return async (batch) => {
    const rows: AuthEventRow[] = [];
    const deadLetters: OutgoingMessage[] = [];
    for (const message of batch.messages) {
      const decoded = decodeJson(AuthEvent, message.value);
      if (decoded.ok) rows.push(toRow(decoded.value));
      else deadLetters.push(toDeadLetter(message, formatIssues(decoded.issues)));
    }
    await Promise.all([
      rows.length > 0 ? deps.sink.insert(table, rows) : undefined,
      deps.producer.send(deps.dlqTopic, deadLetters),
    ]);
    if (deadLetters.length > 0) {
      deps.logger.warn({ topic: batch.topic, partition: batch.partition, invalid: deadLetters.length }, 'invalid auth events sent to the dead-letter topic');
    }
    deps.logger.debug({ topic: batch.topic, partition: batch.partition, rows: rows.length }, 'batch ingested');
  };
}
