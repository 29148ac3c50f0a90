import { performance } from 'node:perf_hooks';
import { authEventMessage, type AuthEvent } from '@keywatch/contracts';
import type { EventProducer, OutgoingMessage } from '@keywatch/kafka';
import type { Logger } from '@keywatch/logger';
import { RingBuffer } from './ring-buffer.js';
import { isRetriableSendError } from './retriable.js';

/**
 * Why events were lost: the buffer was full at `emit`; a failed batch did not fit back in the
 * buffer; `close` ran out of time; `emit` after `close`; the event could not be serialized; Kafka
 * refused the event itself with a non-retriable error (e.g. larger than the topic's message size).
 */
export type LossReason =
  'buffer_full' | 'requeue_overflow' | 'close_timeout' | 'closed' | 'unserializable' | 'rejected';

/**
 * A producer that can also take the auth events themselves and encode them with
 * {@link authEventMessage} where it likes (the gateway's producer thread does it off the request
 * event loop). The emitter then hands it events instead of messages; `sendEvents` fails as `send`
 * does (an event that cannot be encoded there: a non-retriable error, so it is eventually
 * refused alone and counted as `rejected`).
 */
export interface AuthEventProducer extends EventProducer {
  sendEvents(topic: string, events: AuthEvent[]): Promise<void>;
}

export interface AuthEventEmitterOptions {
  /**
   * Where batches go; the emitter never closes it (its owner does, after `close()`). An
   * {@link AuthEventProducer} gets the events and encodes them itself.
   */
  producer: EventProducer | AuthEventProducer;
  /** The auth-events topic, prefix included. */
  topic: string;
  logger: Logger;
  /** Events held while waiting to be sent (default 10 000). A batch in flight is not counted. */
  maxBuffer?: number;
  /**
   * Most events per `producer.send` (default 500). Keep a batch's bytes per partition under the
   * topic's `max.message.bytes` (1 MiB by default): a batch refused as too large is split anyway.
   */
  maxBatch?: number;
  /** How often buffered events are sent when fewer than `maxBatch` wait (default 50 ms). */
  flushIntervalMs?: number;
  /** Wait after the first failed send (default 100 ms); doubled per consecutive failure. */
  initialBackoffMs?: number;
  /** Cap of that wait (default 5 000 ms). */
  maxBackoffMs?: number;
  /** How long `close()` keeps trying to send what is buffered (default 5 000 ms). */
  closeTimeoutMs?: number;
  /** At most one warning per this interval about dropped events, with their count (default 1 000 ms). */
  dropLogIntervalMs?: number;
  /** Called with each loss as it is counted (for a metric). Must not throw; if it does, that is ignored. */
  onDrop?: (count: number, reason: LossReason) => void;
  /**
   * Extension point for the gateway's documented disk spool: when set, events that would be
   * dropped are handed here instead, and counted as `overflowed`, not `dropped`. It runs
   * synchronously inside `emit` when the buffer is full, so it must only append to something of
   * its own (e.g. a write stream) and return. If it throws, the events are dropped and counted.
   */
  overflow?: (events: AuthEvent[], reason: LossReason) => void;
}

/** Counters since creation. Always `emitted = sent + dropped + overflowed + buffered + inFlight`. */
export interface AuthEventEmitterStats {
  emitted: number;
  /** Acknowledged by the producer. */
  sent: number;
  dropped: number;
  /** Handed to the `overflow` sink instead of dropped. */
  overflowed: number;
  buffered: number;
  /** In the batch currently being sent. */
  inFlight: number;
  failedBatches: number;
}

export interface AuthEventEmitter {
  /** Queues one event. Synchronous and O(1); never throws, never waits; a full buffer drops it (counted). */
  emit(event: AuthEvent): void;
  /**
   * Resolves once every event queued before the call has been sent (or lost, counted), sending
   * without waiting for the interval but honouring the backoff. During a Kafka outage it waits
   * for Kafka; `close()` is the bounded variant.
   */
  flush(): Promise<void>;
  stats(): AuthEventEmitterStats;
  /**
   * Stops taking events (later `emit`s are dropped, counted), sends what is buffered for up to
   * `closeTimeoutMs`, then counts and logs whatever is left as dropped. Idempotent.
   */
  close(): Promise<void>;
}

interface Batch {
  events: AuthEvent[];
  /** Set when `close()` gave up on this batch: its outcome was already counted. */
  abandoned: boolean;
  /** Settles (never rejects) after the send's outcome has been accounted for. */
  done: Promise<void>;
}

function positive(name: string, value: number, integer: boolean): number {
  if (!(integer ? Number.isSafeInteger(value) : Number.isFinite(value)) || value <= 0) {
    throw new RangeError(`${name} must be a positive ${integer ? 'integer' : 'number'}, got ${value}`);
  }
  return value;
}

/** Resolves when `promise` settles or after `ms`, whichever comes first (`promise` must not reject). */
async function within(ms: number, promise: Promise<void> = new Promise<void>(() => undefined)): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, ms));
  });
  try {
    await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** KafkaJS marks errors that repeating the same request cannot cure with `retriable: false`. */

/**
 * The gateway's off-request-path auth event emitter: `emit` appends to a bounded ring buffer and a
 * background loop sends batches one at a time, in order; a failed batch goes back to the front and
 * the loop backs off, so an outage costs only what exceeds the buffer (every drop is counted). A
 * non-retriable refusal splits the batch in halves rather than stall the pipeline (README).
 */
export function createAuthEventEmitter(options: AuthEventEmitterOptions): AuthEventEmitter {
  const { producer, topic, onDrop, overflow } = options;
  const eventProducer = 'sendEvents' in producer ? producer : null;
  const maxBatch = positive('maxBatch', options.maxBatch ?? 500, true);
  const flushIntervalMs = positive('flushIntervalMs', options.flushIntervalMs ?? 50, false);
  const initialBackoffMs = positive('initialBackoffMs', options.initialBackoffMs ?? 100, false);
  const maxBackoffMs = positive('maxBackoffMs', options.maxBackoffMs ?? 5_000, false);
  const closeTimeoutMs = positive('closeTimeoutMs', options.closeTimeoutMs ?? 5_000, false);
  const dropLogIntervalMs = positive('dropLogIntervalMs', options.dropLogIntervalMs ?? 1_000, false);
  const buffer = new RingBuffer<AuthEvent>(positive('maxBuffer', options.maxBuffer ?? 10_000, true));
  const log = options.logger.child({ component: 'auth-emitter', topic });

  const counts = { emitted: 0, sent: 0, dropped: 0, overflowed: 0, failedBatches: 0 };
  let inFlight: Batch | undefined;
  // Events that have left the front of the queue (sent or lost); flush() waits for a target.
  let departed = 0;
  const flushWaiters: Array<{ target: number; resolve: () => void }> = [];
  let consecutiveFailures = 0;
  // Lowered after a batch was refused as a whole, doubled back towards maxBatch on each success.
  let batchLimit = maxBatch;
  let lastRejection: string | undefined;
  let retryAt = 0;
  let retryTimer: NodeJS.Timeout | undefined;
  let pumpScheduled = false;
  let closing: Promise<void> | undefined;
  let finished = false;

  const unlogged = new Map<LossReason, number>();
  let lastDropLogAt = -Infinity;
  let dropLogTimer: NodeJS.Timeout | undefined;

  function logDrops(): void {
    if (dropLogTimer) clearTimeout(dropLogTimer);
    dropLogTimer = undefined;
    if (unlogged.size === 0) return;
    lastDropLogAt = performance.now();
    const byReason = Object.fromEntries(unlogged);
    const count = [...unlogged.values()].reduce((a, b) => a + b, 0);
    unlogged.clear();
    const rejection = lastRejection;
    lastRejection = undefined;
    log.warn(
      {
        dropped: count,
        by_reason: byReason,
        dropped_total: counts.dropped,
        buffered: buffer.length,
        last_rejection: rejection,
      },
      'auth events dropped',
    );
  }

  function noteDropped(count: number, reason: LossReason): void {
    unlogged.set(reason, (unlogged.get(reason) ?? 0) + count);
    const sinceLast = performance.now() - lastDropLogAt;
    if (sinceLast >= dropLogIntervalMs) logDrops();
    // Later drops within the interval are summed into one line at its end, so none go unlogged.
    else dropLogTimer ??= setTimeout(logDrops, dropLogIntervalMs - sinceLast).unref();
  }

  function lose(events: AuthEvent[], reason: LossReason): void {
    try {
      if (overflow) {
        try {
          overflow(events, reason);
          counts.overflowed += events.length;
          return;
        } catch (error) {
          log.error({ err: error, events: events.length }, 'auth event overflow sink failed; dropping');
        }
      }
      counts.dropped += events.length;
      try {
        onDrop?.(events.length, reason);
      } catch {
        // A metrics callback must not break emit.
      }
      noteDropped(events.length, reason);
    } catch {
      // emit never throws: a failing logger cannot be allowed to reach the request path.
    }
  }

  function depart(count: number): void {
    departed += count;
    for (let i = flushWaiters.length - 1; i >= 0; i -= 1) {
      const waiter = flushWaiters[i]!;
      if (departed >= waiter.target) {
        flushWaiters.splice(i, 1);
        waiter.resolve();
      }
    }
  }

  function schedulePump(): void {
    if (pumpScheduled || finished) return;
    pumpScheduled = true;
    setImmediate(pump);
  }

  function serialize(events: AuthEvent[]): { sendable: AuthEvent[]; messages: OutgoingMessage[] } {
    const sendable: AuthEvent[] = [];
    const messages: OutgoingMessage[] = [];
    for (const event of events) {
      try {
        messages.push(authEventMessage(event));
        sendable.push(event);
      } catch {
        depart(1);
        lose([event], 'unserializable');
      }
    }
    return { sendable, messages };
  }

  function pump(): void {
    pumpScheduled = false;
    if (finished || inFlight || buffer.length === 0 || performance.now() < retryAt) return;
    // An AuthEventProducer encodes the events itself; otherwise they are encoded here.
    const { sendable, messages } = eventProducer
      ? { sendable: buffer.take(batchLimit), messages: null }
      : serialize(buffer.take(batchLimit));
    if (sendable.length === 0) {
      schedulePump();
      return;
    }
    let sending: Promise<void>;
    try {
      sending = eventProducer ? eventProducer.sendEvents(topic, sendable) : producer.send(topic, messages ?? []);
    } catch (error) {
      sending = Promise.reject(error);
    }
    const batch: Batch = { events: sendable, abandoned: false, done: Promise.resolve() };
    batch.done = sending.then(
      () => settle(batch),
      (error: unknown) => settle(batch, error),
    );
    inFlight = batch;
  }

  function settle(batch: Batch, error?: unknown): void {
    const n = batch.events.length;
    if (batch.abandoned) {
      log.info({ events: n, delivered: error === undefined }, 'a batch given up at close has settled');
      return;
    }
    inFlight = undefined;
    if (error === undefined) {
      counts.sent += n;
      consecutiveFailures = 0;
      retryAt = 0;
      batchLimit = Math.min(maxBatch, batchLimit * 2);
      depart(n);
      // A full batch waiting, a flush or a close: send on now rather than at the next tick.
      if (buffer.length >= batchLimit || (buffer.length > 0 && (flushWaiters.length > 0 || closing))) schedulePump();
      return;
    }
    counts.failedBatches += 1;
    if (!isRetriableSendError(error)) {
      refused(batch.events, error);
      return;
    }
    consecutiveFailures += 1;
    const backoffMs = Math.min(maxBackoffMs, initialBackoffMs * 2 ** (consecutiveFailures - 1));
    retryAt = performance.now() + backoffMs;
    // Back in front, ahead of newer events, so order holds; what no longer fits is the oldest.
    const lost = buffer.unshift(batch.events);
    if (lost.length > 0) {
      depart(lost.length);
      lose(lost, 'requeue_overflow');
    }
    log.warn(
      { err: error, events: n, consecutive_failures: consecutiveFailures, retry_in_ms: backoffMs },
      'auth event batch not sent; will retry',
    );
    if (retryTimer) clearTimeout(retryTimer);
    retryTimer = setTimeout(schedulePump, backoffMs).unref();
  }

  function refused(events: AuthEvent[], error: unknown): void {
    if (events.length === 1) {
      lastRejection = error instanceof Error ? error.message : String(error);
      depart(1);
      lose(events, 'rejected');
    } else {
      batchLimit = Math.ceil(events.length / 2);
      const lost = buffer.unshift(events);
      if (lost.length > 0) {
        depart(lost.length);
        lose(lost, 'requeue_overflow');
      }
      log.debug(
        { err: error, events: events.length, retry_with: batchLimit },
        'auth event batch refused; splitting it',
      );
    }
    if (buffer.length > 0) schedulePump();
  }

  const interval = setInterval(pump, flushIntervalMs).unref();

  async function shutdown(): Promise<void> {
    clearInterval(interval);
    const deadline = performance.now() + closeTimeoutMs;
    while ((buffer.length > 0 || inFlight) && performance.now() < deadline) {
      const left = deadline - performance.now();
      if (inFlight) await within(left, inFlight.done);
      else if (performance.now() < retryAt) await within(Math.min(retryAt - performance.now(), left));
      else pump();
    }
    finished = true;
    if (retryTimer) clearTimeout(retryTimer);
    const unsent = [...(inFlight?.events ?? []), ...buffer.take(buffer.length)];
    if (inFlight) inFlight.abandoned = true;
    inFlight = undefined;
    if (unsent.length > 0) {
      log.error(
        { unsent: unsent.length, close_timeout_ms: closeTimeoutMs },
        'auth emitter closed before everything was sent',
      );
      depart(unsent.length);
      lose(unsent, 'close_timeout');
    }
    logDrops();
    log.info({ stats: stats() }, 'auth emitter closed');
  }

  function stats(): AuthEventEmitterStats {
    return { ...counts, buffered: buffer.length, inFlight: inFlight?.events.length ?? 0 };
  }

  return {
    emit(event) {
      counts.emitted += 1;
      if (closing) {
        lose([event], 'closed');
        return;
      }
      if (!buffer.push(event)) {
        lose([event], 'buffer_full');
        return;
      }
      if (buffer.length >= batchLimit && !inFlight) schedulePump();
    },
    flush() {
      const target = departed + (inFlight?.events.length ?? 0) + buffer.length;
      if (departed >= target) return Promise.resolve();
      return new Promise<void>((resolve) => {
        flushWaiters.push({ target, resolve });
        schedulePump();
      });
    },
    stats,
    close() {
      closing ??= shutdown();
      return closing;
    },
  };
}
