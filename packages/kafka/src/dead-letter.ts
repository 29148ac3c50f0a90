import type { OutgoingMessage } from './producer.js';

/** Headers a dead-lettered message carries; the original bytes stay untouched in key and value. */
export const DLQ_HEADERS = {
  reason: 'keywatch-dlq-reason',
  topic: 'keywatch-dlq-source-topic',
  partition: 'keywatch-dlq-source-partition',
  offset: 'keywatch-dlq-source-offset',
  at: 'keywatch-dlq-at',
} as const;

/** Where a consumed message came from. */
export interface SourceMessage {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, string | Buffer | (string | Buffer)[] | undefined>;
}

/** Reasons go into a header; headers are not meant for essays, and a reason must never carry a payload. */
const MAX_REASON_LENGTH = 1000;

/**
 * The dead-letter copy of a message: the original key, value and headers byte for byte, plus
 * headers naming the reason and the source position so it can be inspected and replayed.
 */
export function toDeadLetter(source: SourceMessage, reason: string, now: Date = new Date()): OutgoingMessage {
  const headers: NonNullable<OutgoingMessage['headers']> = {};
  for (const [name, value] of Object.entries(source.headers ?? {})) {
    if (value !== undefined) headers[name] = value;
  }
  headers[DLQ_HEADERS.reason] = reason.slice(0, MAX_REASON_LENGTH);
  headers[DLQ_HEADERS.topic] = source.topic;
  headers[DLQ_HEADERS.partition] = String(source.partition);
  headers[DLQ_HEADERS.offset] = source.offset;
  headers[DLQ_HEADERS.at] = now.toISOString();
  return { key: source.key, value: source.value ?? Buffer.alloc(0), headers };
}
