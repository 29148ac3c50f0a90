import { expect, test } from '@keywatch/testkit';
import { createConsumerRunner } from './consumer.js';
import type { SourceMessage } from './dead-letter.js';
import { createProducer, type OutgoingMessage } from './producer.js';

/**
 * The partition of each key on a 6-partition topic as the Java client picks it, computed with
 * kafka-clients 4.1.1: `BuiltInPartitioner.partitionForKey(key.getBytes(UTF_8), 6)`, i.e.
 * `(murmur2(bytes) & 0x7fffffff) % 6`. Lengths 0–4 and longer cover every tail of murmur2's
 * 4-byte loop; the last keys are multi-byte UTF-8 and raw bytes.
 */
const JAVA_PARTITION_OF_6: Array<[key: string | Buffer, partition: number]> = [
  ['', 3],
  ['a', 4],
  ['ab', 2],
  ['abc', 3],
  ['abcd', 2],
  ['21', 0],
  ['foobar', 0],
  ['key_example000000000000000000', 1],
  ['key_slice00000000000000000003', 5],
  ['tenant_dev_abc123', 4],
  ['203.0.113.7', 4],
  ['0123456789abcdef', 0],
  ['a-little-bit-long-string', 2],
  ['ключ', 2],
  ['鍵-🔑', 1],
  ['ü', 2],
  [Buffer.from([0xff, 0x00, 0x80, 0x7f, 0x01]), 2],
];

const keyText = (key: string | Buffer | null) => (key === null ? 'null' : Buffer.from(key).toString('hex'));

async function poll<T>(read: () => T, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (!done(read()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  return read();
}

test('keyed messages land on the partition Java’s murmur2 picks, the same one on every send, in send order, headers intact', async ({
  kafka,
  logger,
}) => {
  const topic = kafka.topics.authEvents;
  const admin = kafka.kafka.admin();
  await admin.connect();
  const groupId = `${kafka.prefix}reader`;
  const producer = await createProducer(kafka.kafka);
  const received: SourceMessage[] = [];
  const reader = createConsumerRunner({
    kafka: kafka.kafka,
    groupId,
    topics: [topic],
    logger,
    handler: async (batch) => {
      received.push(...batch.messages);
    },
  });
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 6 }], waitForLeaders: true });
    const rounds = 3;
    const sent: OutgoingMessage[] = [];
    for (let round = 0; round < rounds; round++) {
      const messages = JAVA_PARTITION_OF_6.map(([key], i) => ({
        key,
        value: JSON.stringify({ round, i }),
        headers: {
          'x-round': String(round),
          'x-binary': Buffer.from([0x00, 0xff, round]),
          'x-repeated': ['first', `second-${round}`],
        },
      }));
      await producer.send(topic, messages); // acks=all: once it resolves, every message is stored
      sent.push(...messages);
    }

    await reader.start();
    await poll(
      () => received.length,
      (n) => n >= sent.length,
    );

    expect(received).toHaveLength(sent.length);
    for (const [key, partition] of JAVA_PARTITION_OF_6) {
      const mine = received.filter((m) => keyText(m.key) === keyText(key));
      expect(mine, `key ${keyText(key)}`).toHaveLength(rounds);
      expect(
        mine.map((m) => m.partition),
        `key ${keyText(key)}`,
      ).toEqual(Array(rounds).fill(partition));
      const byOffset = [...mine].sort((a, b) => Number(BigInt(a.offset) - BigInt(b.offset)));
      expect(byOffset.map((m) => (JSON.parse(m.value?.toString() ?? '') as { round: number }).round)).toEqual([
        0, 1, 2,
      ]);
    }
    for (const message of received) {
      const { round } = JSON.parse(message.value?.toString() ?? '') as { round: number };
      expect(message.headers?.['x-round']?.toString()).toBe(String(round));
      expect(message.headers?.['x-binary']).toEqual(Buffer.from([0x00, 0xff, round]));
      expect(message.headers?.['x-repeated']).toEqual([Buffer.from('first'), Buffer.from(`second-${round}`)]);
    }
  } finally {
    await reader.close();
    await producer.close();
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
});
