import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { AuthEventProducer } from './emitter.js';
import type { AuthEvent } from '@keywatch/contracts';
import type { OutgoingMessage } from '@keywatch/kafka';
import type { Logger } from '@keywatch/logger';
import type { ProducerReply, ProducerWorkerData } from './producer-worker.js';

/** An error from the producer thread, with KafkaJS's `retriable` flag (the emitter reads it). */
class ProducerThreadError extends Error {
  readonly retriable: boolean;
  constructor(error: { name: string; message: string; retriable: boolean }) {
    super(error.message);
    this.name = error.name;
    this.retriable = error.retriable;
  }
}

/**
 * The worker is TypeScript like the rest: it needs tsx's loader, which a process started by
 * `keywatch run` (or the image's entrypoint) passes on through its own `execArgv`; under a test
 * runner it is added here.
 */
function workerExecArgv(): string[] {
  const inherited = process.execArgv;
  if (inherited.some((arg) => arg.includes('tsx'))) return inherited;
  return [...inherited, '--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href];
}

/**
 * An {@link AuthEventProducer} whose KafkaJS producer lives in a worker thread (`producer-worker.ts`):
 * the request loop only hands each batch over by structured clone; sending on the main thread cost
 * about 40 % of the reference gateway's requests/s. Connects in the background, so the service
 * serves while Kafka is unreachable; a thread that dies is replaced on the next send.
 */
export function createThreadedProducer(data: ProducerWorkerData, logger: Logger): AuthEventProducer {
  const pending = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  let nextId = 0;
  let worker: Worker | undefined;
  let closing: Promise<void> | undefined;

  const start = (): Worker => {
    const thread = new Worker(new URL('./producer-worker.ts', import.meta.url), {
      workerData: data,
      execArgv: workerExecArgv(),
    });
    thread.on('message', (reply: ProducerReply) => {
      const waiter = pending.get(reply.id);
      if (!waiter) return;
      pending.delete(reply.id);
      if (reply.ok) waiter.resolve();
      else waiter.reject(new ProducerThreadError(reply.error));
    });
    thread.on('error', (error) => logger.error({ err: error }, 'auth event producer thread failed'));
    thread.on('exit', (code) => {
      if (worker === thread) worker = undefined;
      // Whatever it still had is unacknowledged: the emitter puts those batches back.
      for (const [id, waiter] of pending) {
        pending.delete(id);
        waiter.reject(
          new ProducerThreadError({
            name: 'ProducerThreadExited',
            message: `the producer thread exited (${code})`,
            retriable: true,
          }),
        );
      }
    });
    return thread;
  };
  const call = (
    request:
      | { type: 'send'; topic: string; messages: OutgoingMessage[] }
      | { type: 'send-events'; topic: string; events: AuthEvent[] }
      | { type: 'close' },
  ): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const id = (nextId += 1);
      pending.set(id, { resolve, reject });
      worker ??= start();
      try {
        worker.postMessage({ ...request, id });
      } catch (error) {
        // Not cloneable (a bug in an event): no retry can cure it.
        pending.delete(id);
        reject(
          new ProducerThreadError({
            name: 'DataCloneError',
            message: error instanceof Error ? error.message : String(error),
            retriable: false,
          }),
        );
      }
    });
  worker = start();

  return {
    send(topic, messages) {
      if (messages.length === 0) return Promise.resolve();
      if (closing)
        return Promise.reject(
          new ProducerThreadError({ name: 'ProducerClosed', message: 'the producer is closed', retriable: false }),
        );
      return call({ type: 'send', topic, messages });
    },
    sendEvents(topic, events) {
      if (events.length === 0) return Promise.resolve();
      if (closing)
        return Promise.reject(
          new ProducerThreadError({ name: 'ProducerClosed', message: 'the producer is closed', retriable: false }),
        );
      return call({ type: 'send-events', topic, events });
    },
    close() {
      closing ??= (async () => {
        const thread = worker;
        if (!thread) return;
        // The thread disconnects its producer, then ends; 10 s at most.
        const timer = setTimeout(() => void thread.terminate(), 10_000);
        try {
          await call({ type: 'close' }).catch((error: unknown) =>
            logger.warn({ err: error }, 'auth event producer did not close cleanly'),
          );
        } finally {
          clearTimeout(timer);
          await thread.terminate();
        }
      })();
      return closing;
    },
  };
}
