import type { Admin, Kafka } from 'kafkajs';
import { expect, test, type KafkaFixture } from '@keywatch/testkit';
import { createConsumerRunner, type ConsumedBatch, type ConsumerRunner } from './consumer.js';
import { createProducer } from './producer.js';

type Offsets = Record<number, string>;

async function poll<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    value = await read();
  }
  return value;
}

/** The group's committed offset per partition ('-1' where nothing is committed). */
async function committed(admin: Admin, groupId: string, topic: string): Promise<Offsets> {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return Object.fromEntries((entry?.partitions ?? []).map((p) => [p.partition, p.offset]));
}

/** Each partition's high watermark: the offset the next message will get. */
async function highWatermarks(admin: Admin, topic: string): Promise<Offsets> {
  return Object.fromEntries((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, p.high]));
}

const same = (a: Offsets, b: Offsets) => JSON.stringify(a) === JSON.stringify(b);

/** A topic of its own with `count` keyed messages spread over its partitions. */
async function topicWith(kafka: KafkaFixture, admin: Admin, count: number, label: string): Promise<string> {
  const topic = kafka.topics.authEvents;
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
  await produce(kafka.kafka, topic, count, label);
  return topic;
}

async function produce(client: Kafka, topic: string, count: number, label: string): Promise<void> {
  const producer = await createProducer(client);
  try {
    await producer.send(
      topic,
      Array.from({ length: count }, (_, i) => ({ key: `key-${i}`, value: `${label}-${i}` })),
    );
  } finally {
    await producer.close();
  }
}

const position = (batch: ConsumedBatch) => batch.messages.map((m) => `${m.partition}:${m.offset}`);

test('offsets are committed only after the handler resolves; a failed batch is redelivered, then committed up to the high watermark', async ({
  kafka,
  logger,
}) => {
  const admin = kafka.kafka.admin();
  await admin.connect();
  const groupId = `${kafka.prefix}consumer`;
  let runner: ConsumerRunner | undefined;
  try {
    const count = 30;
    const topic = await topicWith(kafka, admin, count, 'message');
    const failed: string[] = [];
    const handled: string[] = [];
    let failing = true;
    runner = createConsumerRunner({
      kafka: kafka.kafka,
      groupId,
      topics: [topic],
      logger,
      handler: async (batch) => {
        if (failing) {
          failed.push(...position(batch));
          throw new Error('sink unavailable');
        }
        handled.push(...position(batch));
      },
    });
    await runner.start();

    // The handler has thrown and never resolved: nothing may be committed.
    await poll(
      async () => failed.length,
      (n) => n > 0,
    );
    expect(failed.length).toBeGreaterThan(0);
    expect(await committed(admin, groupId, topic)).toEqual({ 0: '-1', 1: '-1', 2: '-1' });

    failing = false;
    const highs = await highWatermarks(admin, topic);
    expect(Object.values(highs).reduce((sum, high) => sum + Number(high), 0)).toBe(count);
    const final = await poll(
      () => committed(admin, groupId, topic),
      (offsets) => same(offsets, highs),
    );

    expect(final).toEqual(highs);
    expect(new Set(handled).size).toBe(count); // every message handled, N distinct positions
    expect(handled).toEqual(expect.arrayContaining([...new Set(failed)])); // the failed batch came back
  } finally {
    await runner?.close();
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
});

test('a new runner in the same group resumes from the committed offsets and does not see old messages again', async ({
  kafka,
  logger,
}) => {
  const admin = kafka.kafka.admin();
  await admin.connect();
  const groupId = `${kafka.prefix}consumer`;
  const runners: ConsumerRunner[] = [];
  const run = (seen: string[]) => {
    const runner = createConsumerRunner({
      kafka: kafka.kafka,
      groupId,
      topics: [kafka.topics.authEvents],
      logger,
      handler: async (batch) => {
        seen.push(...batch.messages.map((m) => m.value?.toString() ?? ''));
      },
    });
    runners.push(runner);
    return runner;
  };
  try {
    const topic = await topicWith(kafka, admin, 20, 'old');
    const first = run([]);
    await first.start();
    const oldHighs = await highWatermarks(admin, topic);
    await poll(
      () => committed(admin, groupId, topic),
      (offsets) => same(offsets, oldHighs),
    );
    await first.close();

    await produce(kafka.kafka, topic, 20, 'new');
    const newHighs = await highWatermarks(admin, topic);
    // Every partition got new messages after old ones, so a restart from the beginning of any
    // partition would hand over that partition's old messages first.
    for (const [partition, high] of Object.entries(newHighs))
      expect(Number(high)).toBeGreaterThan(Number(oldHighs[Number(partition)]));

    const seen: string[] = [];
    await run(seen).start();
    await poll(
      () => committed(admin, groupId, topic),
      (offsets) => same(offsets, newHighs),
    );

    expect(seen.filter((value) => value.startsWith('old-'))).toEqual([]);
    expect([...seen].sort()).toEqual(Array.from({ length: 20 }, (_, i) => `new-${i}`).sort());
  } finally {
    for (const runner of runners) await runner.close();
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
});

test('the batch in hand when close() is called finishes and its offsets are committed', async ({ kafka, logger }) => {
  const admin = kafka.kafka.admin();
  await admin.connect();
  const groupId = `${kafka.prefix}consumer`;
  try {
    const topic = kafka.topics.authEvents;
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await produce(kafka.kafka, topic, 10, 'message');

    let entered!: () => void;
    const inHandler = new Promise<void>((resolve) => (entered = resolve));
    let finish!: () => void;
    const finishing = new Promise<void>((resolve) => (finish = resolve));
    const handled: string[] = [];
    const runner = createConsumerRunner({
      kafka: kafka.kafka,
      groupId,
      topics: [topic],
      logger,
      handler: async (batch) => {
        entered();
        await finishing;
        handled.push(...position(batch));
      },
    });
    await runner.start();
    await inHandler;

    const closing = runner.close();
    finish();
    await closing;

    expect(handled).toHaveLength(10);
    expect(await committed(admin, groupId, topic)).toEqual({ 0: '10' });
  } finally {
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
});

test('close() is idempotent and resolves, whether the runner ran or never started', async ({ kafka, logger }) => {
  const admin = kafka.kafka.admin();
  await admin.connect();
  const groupId = `${kafka.prefix}consumer`;
  try {
    const topic = await topicWith(kafka, admin, 3, 'message');
    let handled = 0;
    const options = {
      kafka: kafka.kafka,
      groupId,
      topics: [topic],
      logger,
      handler: async (batch: ConsumedBatch) => {
        handled += batch.messages.length;
      },
    };
    const runner = createConsumerRunner(options);
    await runner.start();
    await poll(
      async () => handled,
      (n) => n >= 3,
    );
    expect(handled).toBe(3);

    const first = runner.close();
    const second = runner.close();
    await expect(Promise.all([first, second])).resolves.toEqual([undefined, undefined]);
    await expect(runner.close()).resolves.toBeUndefined();

    const neverStarted = createConsumerRunner({ ...options, groupId: `${groupId}-idle` });
    await expect(neverStarted.close()).resolves.toBeUndefined();
    await expect(neverStarted.close()).resolves.toBeUndefined();
  } finally {
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
});
