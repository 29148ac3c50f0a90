/**
 * The processes of `keywatch bench detect`, so the worker, the load and the measuring side do not
 * share an event loop or a core's time slice:
 * - `worker`: a detector worker configured from the environment (as the service is); prints
 *   `BENCH {"url": <metrics url>, "pid": <pid>}` once consuming (log lines share stdout) and
 *   closes on SIGTERM;
 * - `load`: produces ordinary traffic with attacks mixed in at `BENCH_RATE` events/s for
 *   `BENCH_SECONDS` to `BENCH_TOPIC`; prints `BENCH {"sent": n, "attacks": n, "seconds": s}` when done.
 * @module
 */
import { parseConfig } from '@keywatch/config';
import { createKafka, createProducer } from '@keywatch/kafka';
import { createLogger } from '@keywatch/logger';
import { detectorConfig, startDetectorWorker } from '@keywatch/detector-worker';
import { produceEvents } from '@keywatch/testkit/support';
import { attackEvent, ordinaryEvent } from './events.js';

async function worker(): Promise<void> {
  const config = parseConfig(detectorConfig, process.env);
  const logger = createLogger({ name: 'bench-detect-worker', level: config.LOG_LEVEL });
  const running = await startDetectorWorker(config, logger);
  process.stdout.write(`BENCH ${JSON.stringify({ url: running.metricsUrl, pid: process.pid })}\n`);
  process.once('SIGTERM', () => {
    void Promise.resolve(running.close()).then(() => process.exit(0));
  });
}

async function load(): Promise<void> {
  const env = process.env;
  const rate = Number(env.BENCH_RATE ?? 10_000);
  const seconds = Number(env.BENCH_SECONDS ?? 20);
  const offset = Number(env.BENCH_OFFSET ?? 0);
  const logger = createLogger({ name: 'bench-detect-load', level: 'warn' });
  const kafka = createKafka({
    brokers: (env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
    clientId: 'bench-detect-load',
    logger,
  });
  const producer = await createProducer(kafka);
  const topic = env.BENCH_TOPIC ?? '';
  // Every 50 ms, what is due by then (one send at a time: the idempotent producer keeps its
  // sequence per partition); behind schedule, the next send catches up. An attack event every 100 ms.
  const started = Date.now();
  let sent = 0;
  let attacks = 0;
  let tick = 0;
  while (Date.now() - started < seconds * 1000) {
    const wait = started + tick * 50 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const due = Math.round(((Date.now() - started) / 1000) * rate) - sent;
    const batch = Array.from({ length: Math.max(0, due) }, (_, i) => ordinaryEvent(Date.now(), offset + sent + i));
    while (attacks < Math.floor((Date.now() - started) / 100)) batch.push(attackEvent(Date.now(), attacks++));
    if (batch.length > 0) await produceEvents(producer, topic, batch, 2000);
    sent += batch.length;
    tick = Math.max(tick + 1, Math.floor((Date.now() - started) / 50));
  }
  await producer.close();
  process.stdout.write(`BENCH ${JSON.stringify({ url: '', sent, attacks, seconds: (Date.now() - started) / 1000 })}\n`);
}

const kind = process.argv[2];
(kind === 'worker'
  ? worker()
  : kind === 'load'
    ? load()
    : Promise.reject(new Error(`unknown bench child ${kind ?? ''}`))
).catch((error: unknown) => {
  process.stderr.write(`bench-child ${kind ?? ''}: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
