import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { newEventId, type Alert } from '@keywatch/contracts';
import { createRedis } from '@keywatch/redis';
import { eventsSeen, workerEnvironment } from '@keywatch/detector-worker/testing';
import {
  createProducer,
  ephemeralTarget,
  poll,
  prepareClickHouse,
  produceEvents,
  scrape,
  tail,
  type Engines,
  type StackTarget,
} from '@keywatch/testkit/support';
import { ordinaryEvent } from './events.js';

/** Produce→alert latency of one live phase. */
export interface Latency {
  rate: number;
  achievedRate: number;
  seconds: number;
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface BenchReport {
  /** Events/s one worker drained from a backlog (state, alerts and commits included). */
  drainEventsPerSecond: number;
  backlog: number;
  /** Same-run baseline: a bare KafkaJS consumer reading and JSON-parsing the same backlog. */
  rawConsumeEventsPerSecond: number;
  /** Time Redis spent in scripts (EVALSHA, every client's) per event while draining, µs. */
  redisScriptUsPerEvent: number;
  /** Worker CPU (user + system) per event while draining the backlog, µs. */
  drainWorkerCpuUsPerEvent: number;
  /** Redis commands per event while draining (INFO commandstats, every client of the server: others' load included). */
  redisCommandsPerEvent: number;
  /** Lua calls (EVALSHA) per event while draining. */
  redisScriptCallsPerEvent: number;
  /** Produce→alert latency at the offered rate, from alerts raised by attack events mixed into the traffic. */
  latency: Latency;
  /**
   * The same at each of the `extraRates`, measured after the main live phase on the same worker:
   * how latency depends on the load, with the share of the machine's CPU that was busy (0–1).
   */
  latencyAt: Array<Latency & { machineBusy: number }>;
  /**
   * CPU seconds during the live phase: the worker process, Redis (all its clients), the load
   * generator, ClickHouse's and Kafka's servers (with `cpuProbe`, else 0), and the whole machine
   * (n cores = n s per s).
   */
  cpu: {
    wallSeconds: number;
    worker: number;
    redis: number;
    load: number;
    clickhouse: number;
    kafka: number;
    machine: number;
  };
  loadAverage: { before: number[]; after: number[] };
  /** The worker's batches during the live phase: how many, mean events and wall ms per batch, and mean ms per stage (see metrics.ts). */
  /** The worker process's peak RSS over both phases, MB. */
  workerPeakRssMb: number;
  batches: { count: number; meanEvents: number; meanMs: number; stagesMs: Record<string, number> };
}

const here = path.dirname(fileURLToPath(import.meta.url));
const tsxLoader = `file://${path.resolve(here, '../../../node_modules/tsx/dist/loader.mjs')}`;
const TICKS = 100;

const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;

/** utime + stime of a process, seconds (Linux). */
function processCpu(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return 0;
  }
}

/** Peak resident set size of a process so far (VmHWM), MB (Linux). */
function peakRssMb(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const kb = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return Math.round(Number(kb ?? 0) / 1024);
  } catch {
    return 0;
  }
}

/** Busy CPU seconds of the whole machine (all cores), Linux. */
function machineCpu(): number {
  try {
    const [, ...v] = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/);
    const n = v.map(Number);
    return ((n[0] ?? 0) + (n[1] ?? 0) + (n[2] ?? 0) + (n[5] ?? 0) + (n[6] ?? 0) + (n[7] ?? 0)) / TICKS;
  } catch {
    return 0;
  }
}

/** Sums and counts of the worker's batch histograms (per stage, events per batch, whole batch), from its `/metrics`. */
async function batchHistograms(metricsUrl: string): Promise<Map<string, { sum: number; count: number }>> {
  const text = await scrape(metricsUrl);
  const out = new Map<string, { sum: number; count: number }>();
  for (const m of text.matchAll(
    /^keywatch_detector_(batch_stage_seconds|batch_events|batch_seconds)_(sum|count)(?:\{stage="([a-z]+)"\})? ([\d.e+-]+)$/gm,
  )) {
    const name = m[3] ?? m[1] ?? '';
    const entry = out.get(name) ?? { sum: 0, count: 0 };
    entry[m[2] === 'sum' ? 'sum' : 'count'] = Number(m[4]);
    out.set(name, entry);
  }
  return out;
}

/** Per-batch means over a phase: the difference of two `batchHistograms` readings. */
function batchBreakdown(
  before: Map<string, { sum: number; count: number }>,
  after: Map<string, { sum: number; count: number }>,
): BenchReport['batches'] {
  const mean = (name: string) => {
    const a = after.get(name);
    const b = before.get(name) ?? { sum: 0, count: 0 };
    const n = (a?.count ?? 0) - b.count;
    return n > 0 ? ((a?.sum ?? 0) - b.sum) / n : 0;
  };
  const ms = (name: string) => Math.round(mean(name) * 10_000) / 10;
  const batches = (after.get('batch_seconds')?.count ?? 0) - (before.get('batch_seconds')?.count ?? 0);
  return {
    count: batches,
    meanEvents: Math.round(mean('batch_events')),
    meanMs: ms('batch_seconds'),
    stagesMs: Object.fromEntries(
      ['decode', 'plan', 'state', 'dedup', 'publish', 'mark'].map((stage) => [stage, ms(stage)]),
    ),
  };
}

interface Child {
  pid: number | undefined;
  line: Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

/** Starts `child.ts <kind>` under tsx; `line` is its report (the stdout line marked `BENCH`), parsed. */
function spawnChild(kind: 'worker' | 'load', env: NodeJS.ProcessEnv): Child {
  const child: ChildProcess = spawn(process.execPath, ['--import', tsxLoader, path.join(here, 'child.ts'), kind], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const line = new Promise<Record<string, unknown>>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout ?? process.stdin });
    // Log lines share stdout: they are passed on; the child's report is the line marked BENCH.
    lines.on('line', (text) => {
      if (!text.startsWith('BENCH ')) {
        process.stderr.write(`${text}\n`);
        return;
      }
      try {
        resolve(JSON.parse(text.slice(6)) as Record<string, unknown>);
      } catch {
        reject(new Error(`bench ${kind} printed ${text}`));
      }
    });
    void exited.then(() => reject(new Error(`bench ${kind} exited with ${child.exitCode ?? child.signalCode}`)));
  });
  line.catch(() => undefined);
  let closing: Promise<void> | undefined;
  return {
    pid: child.pid,
    line,
    close: () =>
      (closing ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      })()),
  };
}

async function startWorkerChild(
  target: StackTarget,
  env: Record<string, string>,
): Promise<{ child: Child; metricsUrl: string }> {
  await (await prepareClickHouse(target)).close();
  const child = spawnChild('worker', {
    ...workerEnvironment(target, 'detector-bench'),
    ...env,
  });
  const first = await Promise.race([
    child.line,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error('bench worker did not start within 60 s')), 60_000),
    ),
  ]);
  return { child, metricsUrl: String(first.url) };
}

/** A bare consumer group reading the topic from the start and parsing each value: what consumption alone costs. */
async function rawConsume(target: StackTarget, topic: string, count: number): Promise<number> {
  const consumer = target.kafka.consumer({ groupId: `detector-raw-${newEventId()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  let started = 0;
  await consumer.run({
    eachBatch: async ({ batch }) => {
      if (started === 0) started = Date.now();
      for (const m of batch.messages) if (m.value) JSON.parse(m.value.toString());
      seen += batch.messages.length;
    },
  });
  await poll(
    async () => seen,
    (n) => n >= count,
    300_000,
    50,
  );
  const rate = Math.round(seen / Math.max(0.001, (Date.now() - started) / 1000));
  await consumer.disconnect();
  return rate;
}

async function redisStats(
  redis: ReturnType<typeof createRedis>,
): Promise<{ commands: number; scripts: number; scriptUsec: number; cpu: number }> {
  const stats = await redis.info('commandstats');
  let commands = 0;
  let scripts = 0;
  let scriptUsec = 0;
  for (const m of stats.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) {
    const calls = Number(m[2]);
    commands += calls;
    if (m[1] === 'evalsha' || m[1] === 'eval') {
      scripts += calls;
      scriptUsec += Number(m[3]);
    }
  }
  const cpu = await redis.info('cpu');
  const num = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(cpu)?.[1] ?? 0);
  return { commands, scripts, scriptUsec, cpu: num('used_cpu_user') + num('used_cpu_sys') };
}

/**
 * `keywatch bench detect`, in separate processes (the worker, the load generator, this one
 * measuring): (0) a bare consumer reads a backlog of `backlog` events (the baseline); (1) one
 * worker drains the same backlog: events/s, Redis commands per event; (2) live traffic at `rate`
 * events/s for `seconds` with attacks mixed in (10 a second): produce→alert latency p50/p99 over
 * the alerts they raise, and where the CPU went; (3) the same at each of `extraRates`, latency and
 * the machine's busy share only. Throwaway topics, database and Redis prefix.
 */
export async function runDetectBench(
  engines: Engines,
  options: {
    backlog?: number;
    rate?: number;
    seconds?: number;
    extraRates?: number[];
    env?: Record<string, string>;
    print?: (line: string) => void;
    /** CPU seconds so far of the ClickHouse and Kafka servers (the bench package reads /proc). */
    cpuProbe?: () => { clickhouse: number; kafka: number };
  } = {},
): Promise<BenchReport> {
  const print = options.print ?? (() => undefined);
  const backlog = options.backlog ?? 100_000;
  const rate = options.rate ?? 10_000;
  const seconds = options.seconds ?? 20;
  const loadBefore = loadavg();
  const { target, dispose } = await ephemeralTarget(engines);
  const redis = createRedis({ url: engines.redisUrl, keyPrefix: '' });
  const children: Child[] = [];
  try {
    const producer = await createProducer(target.kafka);
    const topic = `${target.topicPrefix}auth-events`;
    const base = Date.now() - 2 * 3_600_000;
    const events = Array.from({ length: backlog }, (_, i) =>
      ordinaryEvent(base + Math.floor((i * 3_600_000) / backlog), i),
    );
    print(
      `producing a backlog of ${backlog} events (topics ${target.topicPrefix}*, database ${target.database}, Redis prefix ${target.redisPrefix})`,
    );
    await produceEvents(producer, topic, events);
    await producer.close();
    const rawConsumeEventsPerSecond = await rawConsume(target, topic, backlog);
    print(`baseline: a bare consumer read the backlog at ${rawConsumeEventsPerSecond} events/s`);

    // Phase 1: backlog drain.
    const { child: worker, metricsUrl } = await startWorkerChild(target, options.env ?? {});
    children.push(worker);
    const handle = { metricsUrl };
    const r0 = await redisStats(redis);
    const drainCpu0 = processCpu(worker.pid);
    // Timed from a tenth of the backlog on, so joining the group and the first fetches do not count.
    const t0 = Date.now();
    let tenthAt = 0;
    let tenth = 0;
    await poll(
      async () => {
        const n = await eventsSeen(handle);
        if (n >= backlog / 10 && tenthAt === 0) [tenthAt, tenth] = [Date.now(), n];
        return n;
      },
      (n) => n >= backlog,
      600_000,
      50,
    );
    // A backlog drained before the first look (a quick run) is timed from the worker's start.
    if (tenth >= backlog) [tenthAt, tenth] = [t0, 0];
    const drainSeconds = (Date.now() - tenthAt) / 1000;
    const r1 = await redisStats(redis);
    // Whole backlog (joining included): CPU per event is less sensitive to other load than events/s.
    const redisScriptUsPerEvent = Math.round(((r1.scriptUsec - r0.scriptUsec) / backlog) * 10) / 10;
    const drainWorkerCpuUsPerEvent = Math.round(((processCpu(worker.pid) - drainCpu0) / backlog) * 1e6);
    const drainEventsPerSecond = Math.round((backlog - tenth) / Math.max(0.05, drainSeconds));
    const redisCommandsPerEvent = Math.round(((r1.commands - r0.commands) / backlog) * 10) / 10;
    const redisScriptCallsPerEvent = Math.round(((r1.scripts - r0.scripts) / backlog) * 1000) / 1000;
    print(
      `drained ${backlog - tenth} events in ${drainSeconds.toFixed(1)} s (after the first tenth): ${drainEventsPerSecond} events/s; Redis: ${redisCommandsPerEvent} commands and ${redisScriptCallsPerEvent} Lua calls per event (${redisScriptUsPerEvent} µs in scripts); worker CPU ${drainWorkerCpuUsPerEvent} µs per event`,
    );

    // Phase 2: live traffic at `rate`, attacks mixed in; latency = alert arrival - the raising event's time (set when produced).
    // Each alert once, at its first publication, from its first event (`first_seen`): an escalation
    // republishes the alert with the same first_seen, which is not when the escalating event came.
    let latencies: number[] = [];
    const arrived = new Set<string>();
    let liveFrom = Date.now();
    const reader = await tail<Alert>(target, `${target.topicPrefix}security-alerts`, (alert, receivedAt) => {
      if (arrived.has(alert.alert_id)) return;
      arrived.add(alert.alert_id);
      const raisedBy = Date.parse(String(alert.evidence.first_seen));
      if (Number.isFinite(raisedBy) && raisedBy > liveFrom) latencies.push(receivedAt - raisedBy);
    });
    let offset = backlog;
    /** One live phase at `phaseRate`, to the last of its events processed and its alerts read. */
    const live = async (phaseRate: number) => {
      latencies = [];
      liveFrom = Date.now();
      const h0 = await batchHistograms(metricsUrl);
      const engines0 = options.cpuProbe?.() ?? { clickhouse: 0, kafka: 0 };
      const cpu0 = {
        worker: processCpu(worker.pid),
        redis: (await redisStats(redis)).cpu,
        machine: machineCpu(),
        at: Date.now(),
      };
      const load = spawnChild('load', {
        KAFKA_BROKERS: target.brokers.join(','),
        BENCH_TOPIC: topic,
        BENCH_RATE: String(phaseRate),
        BENCH_SECONDS: String(seconds),
        BENCH_OFFSET: String(offset),
      });
      children.push(load);
      const done = await load.line;
      const sent = Number(done.sent);
      print(`load generator done: ${sent} events in ${String(done.seconds)} s`);
      const achievedRate = Math.round(sent / Number(done.seconds));
      const loadCpu = processCpu(load.pid);
      let lastPrint = Date.now();
      await poll(
        () => eventsSeen(handle),
        (n) => {
          if (Date.now() - lastPrint > 10_000) {
            lastPrint = Date.now();
            print(`… the worker is at ${n - offset} of ${sent} live events`);
          }
          return n >= offset + sent;
        },
        300_000,
        100,
      );
      offset += sent;
      const cpu1 = {
        worker: processCpu(worker.pid),
        redis: (await redisStats(redis)).cpu,
        machine: machineCpu(),
        at: Date.now(),
      };
      const engines1 = options.cpuProbe?.() ?? { clickhouse: 0, kafka: 0 };
      const batches = batchBreakdown(h0, await batchHistograms(metricsUrl));
      await new Promise((r) => setTimeout(r, 1000));
      const sorted = [...latencies].sort((a, b) => a - b);
      const latency: Latency = {
        rate: phaseRate,
        achievedRate,
        seconds,
        samples: sorted.length,
        p50Ms: percentile(sorted, 0.5),
        p99Ms: percentile(sorted, 0.99),
        maxMs: sorted[sorted.length - 1] ?? 0,
      };
      const round = (n: number) => Math.round(n * 10) / 10;
      const cpu = {
        wallSeconds: round((cpu1.at - cpu0.at) / 1000),
        worker: round(cpu1.worker - cpu0.worker),
        redis: round(cpu1.redis - cpu0.redis),
        load: round(loadCpu),
        clickhouse: round(engines1.clickhouse - engines0.clickhouse),
        kafka: round(engines1.kafka - engines0.kafka),
        machine: round(cpu1.machine - cpu0.machine),
      };
      print(
        `offered ${phaseRate} events/s for ${seconds} s (achieved ${achievedRate}/s, ${String(done.attacks)} attack events): produce→alert p50 ${latency.p50Ms} ms, p99 ${latency.p99Ms} ms, max ${latency.maxMs} ms over ${latency.samples} alerts`,
      );
      print(
        `CPU over ${cpu.wallSeconds} s of the live phase: worker ${cpu.worker} s, Redis ${cpu.redis} s (all clients), load generator ${cpu.load} s${options.cpuProbe ? `, ClickHouse ${cpu.clickhouse} s, Kafka ${cpu.kafka} s` : ''}, whole machine ${cpu.machine} s of ${round(cpu.wallSeconds * cpus().length)}`,
      );
      print(
        `live phase batches: ${batches.count}, mean ${batches.meanEvents} events and ${batches.meanMs} ms each; mean ms per stage: ${Object.entries(
          batches.stagesMs,
        )
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`,
      );
      return { latency, cpu, batches };
    };
    const { latency, cpu, batches } = await live(rate);
    const workerPeakRssMb = peakRssMb(worker.pid);
    print(`worker peak RSS ${workerPeakRssMb} MB`);
    const latencyAt: BenchReport['latencyAt'] = [];
    for (const extra of options.extraRates ?? []) {
      const phase = await live(extra);
      latencyAt.push({
        ...phase.latency,
        machineBusy:
          Math.round((phase.cpu.machine / Math.max(0.001, phase.cpu.wallSeconds * cpus().length)) * 100) / 100,
      });
    }
    await reader.close();
    return {
      drainEventsPerSecond,
      drainWorkerCpuUsPerEvent,
      redisScriptUsPerEvent,
      backlog,
      rawConsumeEventsPerSecond,
      redisCommandsPerEvent,
      redisScriptCallsPerEvent,
      latency,
      latencyAt,
      cpu,
      loadAverage: { before: loadBefore, after: loadavg() },
      batches,
      workerPeakRssMb,
    };
  } finally {
    for (const child of children.reverse()) await child.close();
    redis.disconnect();
    await dispose();
  }
}
