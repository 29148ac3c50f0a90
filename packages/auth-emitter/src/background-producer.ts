import { createProducer, type createKafka, type EventProducer } from '@keywatch/kafka';
import type { Logger } from '@keywatch/logger';

/**
 * A producer on the main thread that connects in the background: `send` waits for the connection
 * (the emitter backs off and buffers meanwhile), so a service starts and serves while Kafka is
 * unreachable. The threaded producer is the default; this one is the `*_EVENT_THREAD=false` choice.
 */
export function createBackgroundProducer(kafka: ReturnType<typeof createKafka>, log: Logger): EventProducer {
  let connecting: Promise<EventProducer> | undefined;
  let closed = false;
  const connect = (): Promise<EventProducer> =>
    (connecting ??= createProducer(kafka).then(
      async (producer) => {
        // Connected after close: nobody will send again.
        if (closed) await producer.close().catch(() => undefined);
        return producer;
      },
      (error: unknown) => {
        connecting = undefined;
        log.warn({ err: error }, 'kafka producer could not connect; auth events wait in the buffer');
        throw error;
      },
    ));
  void connect().catch(() => undefined);
  return {
    send: async (topic, messages) => (await connect()).send(topic, messages),
    async close() {
      closed = true;
      // A connection still being attempted is abandoned, not awaited (it closes itself if it lands).
      const pending = connecting;
      const settled = await Promise.race([
        pending?.then(
          (p) => p,
          () => null,
        ) ?? Promise.resolve(null),
        new Promise<'pending'>((resolve) => setTimeout(() => resolve('pending'), 100).unref()),
      ]);
      if (settled && settled !== 'pending') await settled.close();
    },
  };
}
