/**
 * `keywatch bench scaling [--events N] [--partitions 1,4,8] [--instances 1,2,4]`: ingest
 * throughput by partition count and by number of ingest worker instances (child processes in one
 * consumer group), and where the CPU goes while they drain the same backlog: each worker, the
 * ClickHouse server, the Kafka broker, and the whole machine. For each partition count one topic
 * holds the backlog; each instance count drains it in its own group into its own database (the
 * worker dedups by event_id, so a shared database would make later runs cheaper).
 *
 * Throughput is measured from the first commit to the last (worker start-up excluded): the
 * backlog's events counted from the first moment the group's lag fell, over the time until it was 0.
 * @module
 */
import os from 'node:os';
import type { EngineConfig } from '@keywatch/config';
import { newEventId, type AuthEvent } from '@keywatch/contracts';
import { createLogger } from '@keywatch/logger';
import {
  createProducer,
  ephemeralTarget,
  groupLag,
  prepareClickHouse,
  produceEvents,
  repoRoot,
  startService,
  type ServiceProcess,
} from '@keywatch/testkit/support';
import { ordinaryEvent } from './detect/events.js';
import { cpuSeconds, enginePids, machineCpuSeconds } from './procs.js';
import { figure, type Figure } from './report.js';

export interface ScalingOptions {
  config: EngineConfig;
  events: number;
  partitions: number[];
  instances: number[];
  environment: NodeJS.ProcessEnv;
  progress: (line: string) => void;
  signal?: AbortSignal;
}

/** One cell of the study. CPU figures are cores (CPU seconds per wall second) while draining. */
export interface ScalingCell {
  partitions: number;
  instances: number;
  events: number;
  seconds: number;
  eventsPerSecond: number;
  cpu: { workers: number[]; clickhouse: number; kafka: number; machine: number };
  /** The process with the most CPU while draining. */
  busiest: string;
}

const sum = (values: number[]) => values.reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
const round = (v: number, digits = 2) => Number(v.toFixed(digits));

export async function runScaling(options: ScalingOptions): Promise<{ cells: ScalingCell[]; figures: Figure[] }> {
  const logger = createLogger({ name: 'bench-scaling', level: 'warn' });
  const { config, progress } = options;
  const cells: ScalingCell[] = [];
  const engines = enginePids();
  for (const partitions of options.partitions) {
    const { target, dispose } = await ephemeralTarget(
      {
        brokers: config.KAFKA_BROKERS,
        clickhouseUrl: config.CLICKHOUSE_URL,
        redisUrl: config.REDIS_URL,
        logger,
        repoRoot,
      },
      partitions,
    );
    const topic = `${target.topicPrefix}auth-events`;
    const admin = target.kafka.admin();
    await admin.connect();
    const databases: string[] = [];
    try {
      // The backlog, once per partition count.
      const producer = await createProducer(target.kafka);
      const now = Date.now();
      for (let i = 0; i < options.events; i += 20_000) {
        const chunk: AuthEvent[] = [];
        for (let k = i; k < Math.min(options.events, i + 20_000); k += 1)
          chunk.push(ordinaryEvent(now - (options.events - k), k));
        await produceEvents(producer, topic, chunk, 1_000);
      }
      await producer.close();
      for (const instances of options.instances) {
        if (options.signal?.aborted) break;
        const database = `${target.database}_p${partitions}_w${instances}`;
        databases.push(database);
        await (await prepareClickHouse({ ...target, database })).close();
        const groupId = `scaling-${newEventId().slice(-8)}`;
        const env = {
          KAFKA_BROKERS: config.KAFKA_BROKERS.join(','),
          CLICKHOUSE_URL: config.CLICKHOUSE_URL,
          CLICKHOUSE_DATABASE: database,
          KEYWATCH_TOPIC_PREFIX: target.topicPrefix,
          INGEST_GROUP_ID: groupId,
          INGEST_METRICS_PORT: '-1',
          INGEST_RETENTION_INTERVAL: '0',
        };
        const workers: ServiceProcess[] = Array.from({ length: instances }, () =>
          startService('ingest-worker', env, options.environment),
        );
        try {
          // Wait for the first commit (the workers have started and joined), then time the rest.
          const deadline = Date.now() + 180_000;
          let lag = await groupLag(admin, groupId, topic);
          while (lag >= options.events && Date.now() < deadline) {
            await new Promise((r) => setTimeout(r, 100));
            lag = await groupLag(admin, groupId, topic);
          }
          const startLag = lag;
          const t0 = performance.now();
          const cpu0 = {
            workers: workers.map((w) => cpuSeconds(w.pid)),
            clickhouse: sum(engines.clickhouse.map(cpuSeconds)),
            kafka: sum(engines.kafka.map(cpuSeconds)),
            machine: machineCpuSeconds(),
          };
          while (lag > 0 && Date.now() < deadline && !options.signal?.aborted) {
            await new Promise((r) => setTimeout(r, 100));
            lag = await groupLag(admin, groupId, topic);
          }
          const seconds = (performance.now() - t0) / 1000;
          if (lag > 0)
            throw new Error(
              `${instances} worker(s) on ${partitions} partition(s) did not drain ${options.events} events within 180 s (lag ${lag}): ${workers[0]?.output.slice(-5).join('\n')}`,
            );
          const cores = (a: number, b: number) => round((b - a) / seconds);
          const workerCpu = workers.map((w, i) => cores(cpu0.workers[i] ?? 0, cpuSeconds(w.pid)));
          const cpu = {
            workers: workerCpu,
            clickhouse: cores(cpu0.clickhouse, sum(engines.clickhouse.map(cpuSeconds))),
            kafka: cores(cpu0.kafka, sum(engines.kafka.map(cpuSeconds))),
            machine: cores(cpu0.machine, machineCpuSeconds()),
          };
          const candidates: Array<[string, number]> = [
            ...workerCpu.map((c, i) => [`ingest worker ${i + 1}`, c] as [string, number]),
            ['ClickHouse server', cpu.clickhouse],
            ['Kafka broker', cpu.kafka],
          ];
          const busiest = candidates.sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'unknown';
          const cell: ScalingCell = {
            partitions,
            instances,
            events: startLag,
            seconds: round(seconds, 3),
            eventsPerSecond: Math.round(startLag / seconds),
            cpu,
            busiest,
          };
          cells.push(cell);
          progress(
            `${partitions} partition(s), ${instances} worker(s): ${cell.eventsPerSecond.toLocaleString('en-US')} events/s over ${cell.seconds} s · CPU cores: workers ${workerCpu.join(' + ')}, ClickHouse ${cpu.clickhouse}, Kafka ${cpu.kafka}, machine ${cpu.machine} of ${os.availableParallelism()} · busiest: ${busiest}`,
          );
        } finally {
          await Promise.allSettled(workers.map((w) => w.stop()));
        }
      }
    } finally {
      const ch = await prepareClickHouse({ ...target, database: target.database }).catch(() => undefined);
      for (const database of databases) await ch?.command(`DROP DATABASE IF EXISTS ${database}`).catch(() => undefined);
      await ch?.close();
      await admin.disconnect();
      await dispose();
    }
  }
  const base = cells.find((c) => c.partitions === Math.min(...options.partitions) && c.instances === 1);
  const figures = cells.map((c) =>
    figure(
      `ingest, ${c.partitions} partition${c.partitions === 1 ? '' : 's'}, ${c.instances} worker${c.instances === 1 ? '' : 's'} (busiest: ${c.busiest})`,
      c.eventsPerSecond,
      'events/s',
      base && c !== base
        ? { baseline: { name: `${base.partitions} partition, 1 worker`, value: base.eventsPerSecond } }
        : {},
    ),
  );
  return { cells, figures };
}
