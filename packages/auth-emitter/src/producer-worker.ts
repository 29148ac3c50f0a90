/**
 * The worker thread behind {@link createThreadedProducer}: owns the KafkaJS producer, so encoding
 * and sending auth events never run on the service's request event loop. Connects in the
 * background and again after a failure; a `send` waits for the connection.
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads';
import { authEventMessage } from '@keywatch/contracts';
import type { AuthEvent } from '@keywatch/contracts';
import { createKafka, createProducer, type EventProducer, type OutgoingMessage } from '@keywatch/kafka';
import { createLogger, type LoggerOptions } from '@keywatch/logger';
import { isRetriableSendError } from './retriable.js';

/** What the owning service passes to the worker. */
export interface ProducerWorkerData {
  brokers: string[];
  clientId: string;
  /** The service's logger name (`gateway`, `auth-server`), so the thread's lines read as its own. */
  loggerName: string;
  logLevel: LoggerOptions['level'];
}

/** Requests to the worker. */
export type ProducerRequest =
  | { type: 'send'; id: number; topic: string; messages: OutgoingMessage[] }
  /** Auth events, encoded here with `authEventMessage`. */
  | { type: 'send-events'; id: number; topic: string; events: AuthEvent[] }
  | { type: 'close'; id: number };
/** Answers of the worker: `error` keeps KafkaJS's `retriable` flag, which the emitter acts on. */
export type ProducerReply =
  { id: number; ok: true } | { id: number; ok: false; error: { name: string; message: string; retriable: boolean } };

const port = parentPort;
if (!port) throw new Error('producer-worker.ts runs as a worker thread only');
const data = workerData as ProducerWorkerData;
const logger = createLogger({ name: data.loggerName, level: data.logLevel }).child({
  component: 'auth-event-producer',
});
const kafka = createKafka({ brokers: data.brokers, clientId: data.clientId, logger });
let connecting: Promise<EventProducer> | undefined;
let closed = false;

const connect = (): Promise<EventProducer> =>
  (connecting ??= createProducer(kafka).catch((error: unknown) => {
    connecting = undefined;
    logger.warn({ err: error }, 'kafka producer could not connect; auth events wait in the buffer');
    throw error;
  }));
void connect().catch(() => undefined);

function failure(error: unknown): { name: string; message: string; retriable: boolean } {
  const retriable = isRetriableSendError(error);
  return error instanceof Error
    ? { name: error.name, message: error.message, retriable }
    : { name: 'Error', message: String(error), retriable };
}

port.on('message', (request: ProducerRequest) => {
  const reply = (answer: ProducerReply) => port.postMessage(answer);
  if (request.type === 'send' || request.type === 'send-events') {
    if (closed) {
      reply({
        id: request.id,
        ok: false,
        error: { name: 'ProducerClosed', message: 'the producer is closed', retriable: false },
      });
      return;
    }
    let messages: OutgoingMessage[];
    try {
      messages = request.type === 'send' ? request.messages : request.events.map(authEventMessage);
    } catch (error) {
      // An event JSON cannot represent: the emitter splits the batch until it is refused alone.
      reply({ id: request.id, ok: false, error: { ...failure(error), retriable: false } });
      return;
    }
    connect()
      .then((producer) => producer.send(request.topic, messages))
      .then(
        () => reply({ id: request.id, ok: true }),
        (error: unknown) => reply({ id: request.id, ok: false, error: failure(error) }),
      );
    return;
  }
  closed = true;
  // A connection still being attempted is abandoned, not awaited: the thread ends after this.
  const pending = connecting;
  const settled = Promise.race([
    pending?.then(
      (p) => p,
      () => null,
    ) ?? Promise.resolve(null),
    new Promise<null>((resolve) => setTimeout(() => resolve(null), 100).unref()),
  ]);
  void settled
    .then((producer) => producer?.close())
    .then(
      () => reply({ id: request.id, ok: true }),
      (error: unknown) => reply({ id: request.id, ok: false, error: failure(error) }),
    );
});
