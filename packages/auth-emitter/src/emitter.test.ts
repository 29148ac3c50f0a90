import { performance } from 'node:perf_hooks';
import { authEventMessage, authEventMessageKey, exampleAuthEvent, type AuthEvent } from '@keywatch/contracts';
import { InMemoryProducer, type EventProducer, type OutgoingMessage } from '@keywatch/kafka';
import { createLogger } from '@keywatch/logger';
import { isRetriableSendError } from './retriable.js';
import { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import { describe, expect, test } from 'vitest';
import {
  createAuthEventEmitter,
  type AuthEventEmitterOptions,
  type AuthEventEmitterStats,
  type AuthEventProducer,
  type LossReason,
} from './emitter.js';

const TOPIC = 'auth-events';

/** Events with distinct request ids and a mix of message keys (key id, fingerprint, ip). */
function makeEvents(n: number, from = 0): AuthEvent[] {
  return Array.from({ length: n }, (_, j) => {
    const i = from + j;
    return exampleAuthEvent({
      request_id: `req_${i}`,
      key_id: i % 3 === 0 ? `key_${String(i % 7).padStart(20, '0')}` : null,
      key_fingerprint: i % 3 === 1 ? String(i % 5).padStart(16, '0') : null,
      ip: `198.51.100.${i % 250}`,
    });
  });
}

const requestIds = (messages: OutgoingMessage[]) =>
  messages.map((m) => (JSON.parse(String(m.value)) as AuthEvent).request_id);
const ids = (events: AuthEvent[]) => events.map((e) => e.request_id);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const raw: string[] = [];
  const logger = createLogger({
    name: 'test',
    level: 'info',
    destination: {
      write(line: string) {
        raw.push(line);
        lines.push(JSON.parse(line) as Record<string, unknown>);
      },
    },
  });
  return {
    logger,
    lines,
    raw,
    warnings: () => lines.filter((l) => l.level === 40),
    errors: () => lines.filter((l) => l.level === 50),
  };
}

function expectBalanced(stats: AuthEventEmitterStats): void {
  expect(stats.sent + stats.dropped + stats.overflowed + stats.buffered + stats.inFlight).toBe(stats.emitted);
}

interface PendingSend {
  messages: OutgoingMessage[];
  at: number;
  resolve(): void;
  reject(error: Error): void;
}

/** A fake EventProducer whose sends settle only when the test says so (or never: a hung Kafka). */
class ControlledProducer implements EventProducer {
  readonly sends: PendingSend[] = [];
  send(_topic: string, messages: OutgoingMessage[]): Promise<void> {
    return new Promise((resolve, reject) => this.sends.push({ messages, at: performance.now(), resolve, reject }));
  }
  async close(): Promise<void> {}
}

/** A fake EventProducer that records each batch and fails the first `failures` sends. */
class FlakyProducer implements EventProducer {
  readonly batches: Array<{ messages: OutgoingMessage[]; at: number; ok: boolean }> = [];
  constructor(private failures = 0) {}
  async send(_topic: string, messages: OutgoingMessage[]): Promise<void> {
    const ok = this.failures <= 0;
    this.failures -= 1;
    this.batches.push({ messages, at: performance.now(), ok });
    if (!ok) throw new Error('broker not available');
  }
  delivered(): OutgoingMessage[] {
    return this.batches.filter((b) => b.ok).flatMap((b) => b.messages);
  }
  async close(): Promise<void> {}
}

function emitter(producer: EventProducer, options: Partial<AuthEventEmitterOptions> = {}) {
  const log = capture();
  const losses: Array<[number, LossReason]> = [];
  const instance = createAuthEventEmitter({
    producer,
    topic: TOPIC,
    logger: log.logger,
    onDrop: (count, reason) => losses.push([count, reason]),
    ...options,
  });
  return { emitter: instance, log, losses };
}

describe('createAuthEventEmitter', () => {
  test('delivers every event once, in order, keyed by authEventMessageKey with the JSON as value', async () => {
    const producer = new InMemoryProducer();
    const { emitter: e } = emitter(producer);
    const events = makeEvents(1_234);
    for (const [i, event] of events.entries()) {
      e.emit(event);
      if (i % 300 === 0) await sleep(1);
    }
    await e.flush();
    const sent = producer.sent.get(TOPIC) ?? [];
    expect(requestIds(sent)).toEqual(ids(events));
    expect(sent.map((m) => m.key)).toEqual(events.map(authEventMessageKey));
    expect(sent.map((m) => JSON.parse(String(m.value)) as unknown)).toEqual(events);
    expect(e.stats()).toEqual({
      emitted: 1_234,
      sent: 1_234,
      dropped: 0,
      overflowed: 0,
      buffered: 0,
      inFlight: 0,
      failedBatches: 0,
    });
    await e.close();
  });

  test('sends batches of at most maxBatch, one send at a time', async () => {
    const producer = new ControlledProducer();
    const { emitter: e } = emitter(producer, { maxBatch: 100, flushIntervalMs: 5 });
    const events = makeEvents(1_050);
    for (const event of events) e.emit(event);
    const delivered: OutgoingMessage[] = [];
    while (delivered.length < events.length) {
      await until(() => producer.sends.length > 0);
      await sleep(10); // a second send would show up here if the loop did not wait
      expect(producer.sends).toHaveLength(1);
      const send = producer.sends.shift()!;
      expect(send.messages.length).toBeLessThanOrEqual(100);
      delivered.push(...send.messages);
      send.resolve();
    }
    expect(requestIds(delivered)).toEqual(ids(events));
    await e.close();
  });

  test('a send that never returns does not block emit: the buffer fills, then drops are counted exactly', async () => {
    const producer = new ControlledProducer(); // no send ever settles
    const { emitter: e, losses } = emitter(producer, { maxBuffer: 1_000, maxBatch: 100, closeTimeoutMs: 50 });
    for (const event of makeEvents(5_000)) e.emit(event);
    expect(e.stats()).toMatchObject({ emitted: 5_000, buffered: 1_000, dropped: 4_000, inFlight: 0 });

    await until(() => producer.sends.length === 1); // the loop took one batch, which hangs
    expect(e.stats()).toMatchObject({ buffered: 900, inFlight: 100 });
    for (const event of makeEvents(200, 5_000)) e.emit(event);
    await sleep(20);
    expect(producer.sends).toHaveLength(1); // still the one hung send: nothing piles up behind it
    expect(e.stats()).toMatchObject({ emitted: 5_200, buffered: 1_000, inFlight: 100, dropped: 4_100 });
    expect(losses.every(([count, reason]) => count === 1 && reason === 'buffer_full')).toBe(true);
    expect(losses).toHaveLength(4_100);
    expectBalanced(e.stats());
    await e.close();
  });

  test('drops are logged with their count at most once per interval, never with the event', async () => {
    const { emitter: e, log } = emitter(new InMemoryProducer(), { maxBuffer: 100, dropLogIntervalMs: 100 });
    const events = makeEvents(250);
    for (const event of events) e.emit(event);
    expect(log.warnings()).toHaveLength(1); // the first drop, at once
    expect(log.warnings()[0]).toMatchObject({ dropped: 1, by_reason: { buffer_full: 1 }, msg: 'auth events dropped' });
    await until(() => log.warnings().length === 2); // the rest, summed, one interval later
    expect(log.warnings()[1]).toMatchObject({ dropped: 149, dropped_total: 150 });
    await sleep(150);
    expect(log.warnings()).toHaveLength(2);
    for (const line of log.raw) {
      for (const field of ['198.51.100.', 'req_', 'key_0000', 'subscriptions:read']) expect(line).not.toContain(field);
    }
    await e.flush();
    expect(e.stats()).toMatchObject({ sent: 100, dropped: 150 });
    await e.close();
  });

  test('a failed batch is retried after a backoff and then delivered, in order and once', async () => {
    const producer = new FlakyProducer(2);
    const { emitter: e, log } = emitter(producer, { maxBatch: 50, initialBackoffMs: 30 });
    const events = makeEvents(120);
    for (const event of events) e.emit(event);
    await until(() => e.stats().sent === 120);
    expect(requestIds(producer.delivered())).toEqual(ids(events));
    expect(e.stats()).toMatchObject({ failedBatches: 2, dropped: 0, buffered: 0 });
    const [first, second, third] = producer.batches;
    expect(ids(first!.messages.map((m) => JSON.parse(String(m.value)) as AuthEvent))).toEqual(ids(events.slice(0, 50)));
    expect(second!.messages).toEqual(first!.messages); // the same batch again, at the front
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(29);
    expect(third!.at - second!.at).toBeGreaterThanOrEqual(59); // doubled
    expect(log.warnings().map((l) => l.retry_in_ms)).toEqual([30, 60]);
    await e.close();
  });

  test("KafkaJS's own retries running out on a transient cause (a broker away) is retried, not refused", async () => {
    let failures = 3;
    const producer: EventProducer = {
      async send() {
        if (failures-- > 0)
          throw new KafkaJSNumberOfRetriesExceeded(
            new KafkaJSConnectionError('Connection error: connect ECONNREFUSED'),
            {
              retryCount: 5,
              retryTime: 3000,
            },
          );
      },
      async close() {},
    };
    const { emitter: e, losses } = emitter(producer, { maxBatch: 20, initialBackoffMs: 5 });
    for (const event of makeEvents(40)) e.emit(event);
    await until(() => e.stats().sent === 40);
    expect(losses).toEqual([]);
    expect(e.stats()).toMatchObject({ sent: 40, dropped: 0, failedBatches: 3 });
    await e.close();
  });

  test('retries running out on a refusal for good (a message too large) is still a refusal', () => {
    // KafkaJS builds it from the protocol's error table (its typings take an Error).
    const tooLarge = new KafkaJSProtocolError(
      Object.assign(new Error('too large'), { type: 'MESSAGE_TOO_LARGE', code: 10, retriable: false }),
    );
    expect(isRetriableSendError(new KafkaJSNumberOfRetriesExceeded(tooLarge, { retryCount: 1, retryTime: 1 }))).toBe(
      false,
    );
    expect(isRetriableSendError(tooLarge)).toBe(false);
    expect(isRetriableSendError(new KafkaJSConnectionError('down'))).toBe(true);
  });

  test('backoff doubles per consecutive failure up to maxBackoffMs', async () => {
    const producer = new FlakyProducer(5);
    const { emitter: e, log } = emitter(producer, { initialBackoffMs: 5, maxBackoffMs: 20 });
    e.emit(makeEvents(1)[0]!);
    await until(() => e.stats().sent === 1);
    expect(log.warnings().map((l) => l.retry_in_ms)).toEqual([5, 10, 20, 20, 20]);
    await e.close();
  });

  test('a batch Kafka refuses for good is split until the one refused event is dropped; the rest is delivered in order', async () => {
    const refusal = (message: string) => Object.assign(new Error(message), { retriable: false });
    const delivered: OutgoingMessage[] = [];
    const sizes: number[] = [];
    const producer: EventProducer = {
      async send(_topic, messages) {
        sizes.push(messages.length);
        if (messages.length > 8)
          throw refusal('The request included a message larger than the max message size the server will accept');
        if (requestIds(messages).includes('req_13')) throw refusal('record is invalid');
        delivered.push(...messages);
      },
      async close() {},
    };
    const { emitter: e, losses, log } = emitter(producer, { maxBatch: 20, initialBackoffMs: 60_000 });
    const events = makeEvents(40);
    for (const event of events) e.emit(event);
    await e.flush();
    expect(requestIds(delivered)).toEqual(ids(events).filter((id) => id !== 'req_13'));
    expect(losses).toEqual([[1, 'rejected']]);
    expect(e.stats()).toMatchObject({ sent: 39, dropped: 1, buffered: 0 });
    expect(sizes[0]).toBe(20);
    expect(Math.max(...sizes.slice(1))).toBeLessThanOrEqual(20); // it grows back after successes
    expect(log.warnings()).toEqual([
      expect.objectContaining({ dropped: 1, by_reason: { rejected: 1 }, last_rejection: 'record is invalid' }),
    ]);
    await e.close();
  });

  test('a failed batch that no longer fits back loses its oldest events, counted', async () => {
    const producer = new ControlledProducer();
    const { emitter: e, losses } = emitter(producer, { maxBuffer: 10, maxBatch: 5, initialBackoffMs: 50 });
    const events = makeEvents(13);
    for (const event of events.slice(0, 10)) e.emit(event);
    await until(() => producer.sends.length === 1); // 0-4 in flight, 5-9 buffered
    for (const event of events.slice(10)) e.emit(event); // 10-12: two slots left
    producer.sends.shift()!.reject(new Error('leader not available'));
    await until(() => e.stats().failedBatches === 1);
    expect(losses).toEqual([[3, 'requeue_overflow']]);
    expect(e.stats()).toMatchObject({ dropped: 3, buffered: 10 });

    const delivered: OutgoingMessage[] = [];
    const drain = (async () => {
      while (delivered.length < 10) {
        await until(() => producer.sends.length > 0);
        const send = producer.sends.shift()!;
        delivered.push(...send.messages);
        send.resolve();
      }
    })();
    await e.flush();
    await drain;
    expect(requestIds(delivered)).toEqual(ids(events.slice(3)));
    expectBalanced(e.stats());
    await e.close();
  });

  test('close sends what is buffered, is idempotent, and counts later emits as dropped', async () => {
    const producer = new InMemoryProducer();
    const { emitter: e, losses } = emitter(producer, { flushIntervalMs: 60_000 });
    const events = makeEvents(777);
    for (const event of events) e.emit(event);
    const closing = e.close();
    expect(e.close()).toBe(closing);
    await closing;
    expect(requestIds(producer.sent.get(TOPIC) ?? [])).toEqual(ids(events));
    e.emit(makeEvents(1)[0]!);
    expect(e.stats()).toMatchObject({ emitted: 778, sent: 777, dropped: 1, buffered: 0 });
    expect(losses).toEqual([[1, 'closed']]);
  });

  test('close gives up after closeTimeoutMs when Kafka hangs, counting and logging the unsent', async () => {
    const producer = new ControlledProducer();
    const { emitter: e, log, losses } = emitter(producer, { maxBatch: 10, closeTimeoutMs: 100 });
    for (const event of makeEvents(35)) e.emit(event);
    const started = performance.now();
    await e.close();
    expect(performance.now() - started).toBeGreaterThanOrEqual(99);
    expect(e.stats()).toMatchObject({ emitted: 35, sent: 0, dropped: 35, buffered: 0, inFlight: 0 });
    expect(losses).toEqual([[35, 'close_timeout']]);
    expect(log.errors()[0]).toMatchObject({ unsent: 35 });
    producer.sends[0]?.resolve(); // the abandoned send settling later changes nothing
    await sleep(1);
    expect(e.stats()).toMatchObject({ sent: 0, dropped: 35 });
  });

  test('flush waits only for what was queued before it', async () => {
    const producer = new ControlledProducer();
    const { emitter: e } = emitter(producer, { maxBatch: 4, flushIntervalMs: 60_000 });
    for (const event of makeEvents(6)) e.emit(event);
    let flushed = false;
    const flushing = e.flush().then(() => (flushed = true));
    await until(() => producer.sends.length === 1);
    for (const event of makeEvents(5, 6)) e.emit(event);
    producer.sends.shift()!.resolve();
    await until(() => producer.sends.length === 1);
    expect(producer.sends[0]!.messages).toHaveLength(4); // events 4-7: the flushed tail and newer ones
    expect(flushed).toBe(false);
    producer.sends.shift()!.resolve();
    await flushing;
    expect(e.stats()).toMatchObject({ sent: 8, buffered: 3 });
    const closing = e.close();
    await until(() => producer.sends.length === 1);
    producer.sends.shift()!.resolve();
    await closing;
  });

  test('with an overflow sink, events that would be dropped go there instead', async () => {
    const spilled: Array<[string[], LossReason]> = [];
    const { emitter: e, losses } = emitter(new InMemoryProducer(), {
      maxBuffer: 3,
      overflow: (events, reason) => spilled.push([ids(events), reason]),
    });
    for (const event of makeEvents(5)) e.emit(event);
    expect(spilled).toEqual([
      [['req_3'], 'buffer_full'],
      [['req_4'], 'buffer_full'],
    ]);
    expect(losses).toEqual([]);
    expect(e.stats()).toMatchObject({ emitted: 5, buffered: 3, overflowed: 2, dropped: 0 });
    await e.close();
  });

  test('emit never throws, even when the overflow sink and the drop callback do', () => {
    const e = createAuthEventEmitter({
      producer: new InMemoryProducer(),
      topic: TOPIC,
      logger: capture().logger,
      maxBuffer: 1,
      onDrop: () => {
        throw new Error('metrics down');
      },
      overflow: () => {
        throw new Error('disk full');
      },
    });
    for (const event of makeEvents(3)) expect(() => e.emit(event)).not.toThrow();
    expect(e.stats()).toMatchObject({ buffered: 1, dropped: 2, overflowed: 0 });
    return e.close();
  });

  test('an event that cannot be serialized is dropped and counted; the rest of its batch is sent', async () => {
    const producer = new InMemoryProducer();
    const { emitter: e, losses } = emitter(producer);
    const [a, b, c] = makeEvents(3);
    e.emit(a!);
    e.emit({ ...b!, latency_ms: 1n as unknown as number });
    e.emit(c!);
    await e.flush();
    expect(requestIds(producer.sent.get(TOPIC) ?? [])).toEqual(['req_0', 'req_2']);
    expect(losses).toEqual([[1, 'unserializable']]);
    expectBalanced(e.stats());
    await e.close();
  });

  test('an AuthEventProducer is handed the events themselves; one it cannot encode is refused alone and counted', async () => {
    const batches: AuthEvent[][] = [];
    const encoded: OutgoingMessage[] = [];
    const producer: AuthEventProducer = {
      send: () => Promise.reject(new Error('send must not be used')),
      async sendEvents(_topic, events) {
        batches.push(events);
        // What the gateway's producer thread does; a non-retriable error when an event cannot be encoded.
        try {
          encoded.push(...events.map(authEventMessage));
        } catch (error) {
          throw Object.assign(new Error(String(error)), { retriable: false });
        }
      },
      close: async () => undefined,
    };
    const { emitter: e, losses } = emitter(producer);
    const events = makeEvents(4);
    e.emit(events[0]!);
    e.emit({ ...events[1]!, latency_ms: 1n as unknown as number });
    e.emit(events[2]!);
    e.emit(events[3]!);
    await e.flush();
    expect(batches[0]![0]).toBe(events[0]);
    expect(requestIds(encoded)).toEqual(['req_0', 'req_2', 'req_3']);
    expect(encoded.map((m) => m.key)).toEqual([events[0]!, events[2]!, events[3]!].map(authEventMessageKey));
    expect(losses).toEqual([[1, 'rejected']]);
    expectBalanced(e.stats());
    await e.close();
  });

  test('options are checked', () => {
    const base = { producer: new InMemoryProducer(), topic: TOPIC, logger: capture().logger };
    expect(() => createAuthEventEmitter({ ...base, maxBatch: 0 })).toThrow(/maxBatch/);
    expect(() => createAuthEventEmitter({ ...base, maxBuffer: 1.5 })).toThrow(/maxBuffer/);
    expect(() => createAuthEventEmitter({ ...base, flushIntervalMs: -1 })).toThrow(/flushIntervalMs/);
  });
});
