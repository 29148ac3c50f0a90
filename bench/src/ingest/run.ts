import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { createClickHouse, identifier, runMigrations, sql, type ClickHouse } from '@keywatch/clickhouse';
import { exampleAuthEvent, topicNames, type AuthEvent } from '@keywatch/contracts';
import { createKafka, createProducer } from '@keywatch/kafka';
import type { Logger } from '@keywatch/logger';
import { geoipLite } from '@keywatch/geo';
import {
  createEnricher,
  createLineInserter,
  encodeRowBinary,
  ROW_BINARY_COLUMNS,
  toRow,
  type EnrichedRow,
} from '@keywatch/ingest-worker';
import { declaredNodeFlags } from '@keywatch/lifecycle';
import { MIN_RATE_SPAN_S, rateOver } from '../harness.js';
import { kafkaEnginePeer } from './kafka-engine.js';

/** Options of {@link benchIngest}. */
export interface IngestBenchOptions {
  /** Events per run. Default 200 000. */
  events?: number;
  kafkaBrokers: string[];
  clickhouseUrl: string;
  /** The repository root (migrations and the worker's main live under it). */
  repoRoot: string;
  /** Partitions of the scratch topic. Default 6. */
  partitions?: number;
  /** Also measure ClickHouse's own Kafka table engine (the server must reach the brokers). Default true. */
  kafkaEngine?: boolean;
  /** Also measure the floor: inserts of the ready rows into the worker's table and views, no Kafka. Default true. */
  floor?: boolean;
  /**
   * CPU seconds so far of the local ClickHouse and Kafka servers and of the machine: with it, raw
   * consumption and the floor report their CPU per event, and the result the machine's bound.
   */
  cpuProbe?: () => EngineCpu;
  /** Extra environment for the worker process (e.g. INGEST_CONSUMERS=1 to compare). */
  workerEnv?: Record<string, string>;
  /** Extra Node/V8 flags for the worker process, in every run of it (e.g. `--max-semi-space-size=8` to compare). */
  workerNodeArgs?: string[];
  /**
   * Also run the worker without its launch flags (`nodeFlags` in its package.json), on V8's
   * defaults, on the same messages: what the flags are worth, in the same run. Default true.
   */
  v8DefaultsRun?: boolean;
  /**
   * The worker runs to measure instead, in this order, each into a database of its own on the same
   * messages (e.g. several `--max-semi-space-size` values to compare). Default: the worker with its
   * launch flags, then (`v8DefaultsRun`) on V8's defaults.
   */
  workerVariants?: WorkerVariant[];
  logger: Logger;
}

/** One run of the worker process: its figure's name, its Node/V8 flags and extra environment. */
export interface WorkerVariant {
  name: string;
  nodeArgs: string[];
  env?: Record<string, string>;
}

/** CPU seconds of the engines' servers and of the whole machine (see `cpuProbe`). */
export interface EngineCpu {
  clickhouse: number;
  kafka: number;
  machine: number;
}

/** One measured figure. */
export interface BenchFigure {
  name: string;
  events: number;
  /** From the first event seen at the far end to the last: the sustained rate. */
  seconds: number;
  eventsPerSecond: number;
  /** From the start of consumption (group join, process start included) to the last event. */
  endToEndSeconds?: number;
  /** Peak RSS (VmHWM) of the process measured, MB (worker runs only). */
  peakRssMb?: number;
  /** CPU time (user + system) of the process measured, start-up included, s (worker runs only). */
  cpuSeconds?: number;
  /** CPU µs per event of this process (`bench`), the engines' servers and the machine during the figure (with `cpuProbe`). */
  cpuPerEventUs?: { bench: number } & EngineCpu;
  note?: string;
}

/** What {@link benchIngest} measured, in the same run on the same messages. */
export interface IngestBenchResult {
  figures: BenchFigure[];
  /** Worker's sustained rate as a share of raw consumption's. */
  workerVsRawConsumption: number;
  /** Worker's sustained rate as a share of the Kafka engine's end-to-end rate. Every ratio is NaN when either side was not measured. */
  workerVsKafkaEngine: number;
  /** The floor's sustained rate as a share of raw consumption's. */
  floorVsRawConsumption: number;
  /** Worker's sustained rate as a share of the floor's. */
  workerVsFloor: number;
  /**
   * The most events/s any design could reach on this machine: its cores divided by the CPU per
   * event that cannot be avoided, ClickHouse's in the floor plus the consumer's and the broker's in
   * raw consumption (0 without `cpuProbe` or the floor).
   */
  cpuBoundEventsPerSecond: number;
  /**
   * CPU µs per event of the least a worker written in JavaScript does besides: `JSON.parse` of the
   * message's bytes and `JSON.stringify` of its row, measured in this process on the same
   * messages (median of three passes).
   */
  jsParseStringifyUs: number;
  /** {@link cpuBoundEventsPerSecond} with {@link jsParseStringifyUs} added to the unavoidable CPU (0 when that is 0). */
  cpuBoundJsEventsPerSecond: number;
  /** Peak RSS of the worker process (VmHWM), MB; 0 where /proc is missing. */
  workerRssMb: number;
  /** The same for the run on V8's defaults (0 when not run). */
  defaultsWorkerRssMb: number;
  /** Its sustained rate as a share of raw consumption's. */
  defaultsWorkerVsRawConsumption: number;
}

export const FIGURES = {
  raw: 'raw KafkaJS consumption (no work)',
  worker: 'ingest worker (validate, geoip, dedup, DLQ, insert + 6 views)',
  defaults: 'ingest worker without its launch flags (V8 defaults)',
  inserts: 'raw ClickHouse inserts (JSONEachRow, 10k rows, no views)',
  engine: 'ClickHouse Kafka engine → MV → MergeTree',
  floor: "floor: ClickHouse alone, inserts of ready RowBinary rows into the worker's table and 6 views",
} as const;

const IPS = ['81.2.69.142', '8.8.8.8', '203.0.113.7', '2001:4860:4860::8888', '1.1.1.1', '185.60.216.35', '10.0.0.1'];

function events(n: number): AuthEvent[] {
  const now = Date.now();
  return Array.from({ length: n }, (_, i) =>
    exampleAuthEvent({
      key_id: `key_bench${String(i % 500).padStart(16, '0')}`,
      tenant_id: `tenant_${i % 20}`,
      ip: IPS[i % IPS.length],
      ts: new Date(now - ((n - i) % 3_600_000)).toISOString(),
    }),
  );
}

const round = (seconds: number) => Math.round(seconds * 1000) / 1000;

const figure = (name: string, count: number, seconds: number, extra: Partial<BenchFigure> = {}): BenchFigure => {
  const eventsPerSecond = rateOver(count, seconds);
  const tooShort = Number.isNaN(eventsPerSecond)
    ? `not measured: ${count} events over ${round(seconds)} s, under the ${MIN_RATE_SPAN_S} s a rate needs`
    : undefined;
  return {
    name,
    events: count,
    seconds: round(seconds),
    eventsPerSecond,
    ...extra,
    note: [tooShort, extra.note].filter(Boolean).join('; ') || undefined,
  };
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `count` until it reaches `n`; the times (performance.now) of the first non-zero and the final reading. */
async function watch(
  count: () => Promise<number>,
  n: number,
  timeoutMs: number,
  everyMs = 25,
): Promise<{ first: number; last: number; count: number }> {
  const deadline = Date.now() + timeoutMs;
  let first = 0;
  let seen = 0;
  while (seen < n && Date.now() < deadline) {
    seen = await count();
    if (seen > 0 && first === 0) first = performance.now();
    if (seen < n) await sleep(everyMs);
  }
  return { first, last: performance.now(), count: seen };
}

const countOf = (ch: ClickHouse, table: string) => async () =>
  Number((await ch.query<{ n: string }>(`SELECT count() AS n FROM ${table}`))[0]?.n ?? 0);

function peakRssMb(pid: number | undefined): number {
  try {
    const kb = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Math.round(Number(kb) / 1024) : 0;
  } catch {
    return 0;
  }
}

/** User + system CPU time of a process so far, s; 0 where /proc is missing. */
function cpuSeconds(pid: number | undefined): number {
  try {
    // Fields 14 and 15 of /proc/<pid>/stat, counted after the command name in parentheses; Linux's USER_HZ is 100.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
      .replace(/^.*\) /s, '')
      .split(' ');
    return round((Number(fields[11]) + Number(fields[12])) / 100);
  } catch {
    return 0;
  }
}

/** Starts the worker's own `main.ts` in a child process, the way `keywatch run ingest-worker` does, so its RSS is its own. */
function spawnWorker(repoRoot: string, env: Record<string, string>, nodeArgs: string[] = []): ChildProcess {
  const main = path.join(repoRoot, 'services/ingest-worker/src/main.ts');
  // process.execArgv carries the TypeScript loader this process runs under.
  const child = spawn(process.execPath, [...process.execArgv, ...nodeArgs, main], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr.resume();
  return child;
}

async function stopWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(15_000)]);
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- the child may have exited during the race
  if (child.exitCode === null) child.kill('SIGKILL');
}

/**
 * `keywatch bench ingest`: sustained events/s from Kafka into ClickHouse through the worker
 * (validation, enrichment, dedup, dead letters, rollups), running as its own process, next to
 * four baselines on the same messages in the same run: raw KafkaJS consumption doing nothing,
 * raw JSONEachRow inserts of the same rows into a table without views, the floor (the ready rows
 * inserted into the worker's own table and views, no Kafka: ClickHouse's side of any worker
 * writing these events) and ClickHouse's Kafka table engine feeding a MergeTree through one
 * materialized view.
 */
export async function benchIngest(options: IngestBenchOptions): Promise<IngestBenchResult> {
  const n = options.events ?? 200_000;
  const stamp = Date.now();
  const database = `kwbench_${stamp}`;
  const prefix = `kwbench-${stamp}.`;
  const topics = topicNames(prefix);
  const log = options.logger;
  const kafka = createKafka({ brokers: options.kafkaBrokers, clientId: 'keywatch-bench', logger: log });
  const admin = kafka.admin();
  await admin.connect();
  const root = createClickHouse({ url: options.clickhouseUrl, logger: log });
  const ch = root.withDatabase(database);
  const figures: BenchFigure[] = [];
  const groups: string[] = [];
  let workerRssMb = 0;
  let defaultsRssMb = 0;
  let jsParseStringifyUs = 0;
  const extraDatabases: string[] = [];
  try {
    await root.command(sql`CREATE DATABASE IF NOT EXISTS ${identifier(database)}`);
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: topics.authEvents, numPartitions: options.partitions ?? 6 },
        { topic: topics.authEventsDlq, numPartitions: 1 },
      ],
    });
    await runMigrations(ch, {
      directory: path.join(options.repoRoot, 'infra/clickhouse/migrations'),
      database,
      logger: log,
    });
    const all = events(n);
    const producer = await createProducer(kafka);
    for (let i = 0; i < n; i += 5_000)
      await producer.send(
        topics.authEvents,
        all.slice(i, i + 5_000).map((e) => ({ key: e.key_id, value: JSON.stringify(e) })),
      );
    await producer.close();

    // Baseline 1: raw consumption, no work.
    {
      const groupId = `bench-raw-${stamp}`;
      groups.push(groupId);
      const consumer = kafka.consumer({ groupId, maxBytesPerPartition: 2 * 1024 * 1024, maxWaitTimeInMs: 100 });
      await consumer.connect();
      await consumer.subscribe({ topics: [topics.authEvents], fromBeginning: true });
      let seen = 0;
      let first = 0;
      const started = performance.now();
      const cpu = cpuMeter(options.cpuProbe);
      await new Promise<void>((resolve) => {
        void consumer.run({
          partitionsConsumedConcurrently: options.partitions ?? 6,
          eachBatch: async ({ batch }) => {
            if (first === 0) first = performance.now();
            seen += batch.messages.length;
            if (seen >= n) resolve();
          },
        });
      });
      const done = performance.now();
      figures.push(
        figure(FIGURES.raw, n, (done - first) / 1000, {
          endToEndSeconds: round((done - started) / 1000),
          ...cpu.perEvent(n),
        }),
      );
      await consumer.disconnect();
    }

    // The worker, in a process of its own: as `keywatch run ingest-worker` starts it (with its
    // declared Node flags), then (into another database, so its dedup finds nothing) without them.
    const variants = options.workerVariants ?? [
      { name: FIGURES.worker, nodeArgs: declaredNodeFlags(path.join(options.repoRoot, 'services/ingest-worker')) },
      ...((options.v8DefaultsRun ?? true) ? [{ name: FIGURES.defaults, nodeArgs: [] }] : []),
    ];
    for (const [i, variant] of variants.entries()) {
      const variantDatabase = i === 0 ? database : `${database}_w${i}`;
      if (i > 0) {
        extraDatabases.push(variantDatabase);
        await root.command(sql`CREATE DATABASE IF NOT EXISTS ${identifier(variantDatabase)}`);
        await runMigrations(root.withDatabase(variantDatabase), {
          directory: path.join(options.repoRoot, 'infra/clickhouse/migrations'),
          database: variantDatabase,
          logger: log,
        });
      }
      const groupId = `bench-worker-${groups.length}-${stamp}`;
      groups.push(groupId);
      const target = root.withDatabase(variantDatabase);
      const started = performance.now();
      const child = spawnWorker(
        options.repoRoot,
        {
          KAFKA_BROKERS: options.kafkaBrokers.join(','),
          CLICKHOUSE_URL: options.clickhouseUrl,
          CLICKHOUSE_DATABASE: variantDatabase,
          KEYWATCH_TOPIC_PREFIX: prefix,
          INGEST_GROUP_ID: groupId,
          INGEST_METRICS_PORT: '-1',
          INGEST_RETENTION_INTERVAL: '0',
          LOG_LEVEL: 'warn',
          ...options.workerEnv,
          ...variant.env,
        },
        [...(options.workerNodeArgs ?? []), ...variant.nodeArgs],
      );
      try {
        const seen = await watch(countOf(target, 'auth_event_ids'), n, 300_000);
        const rss = peakRssMb(child.pid);
        const cpu = cpuSeconds(child.pid);
        if (variant.name === FIGURES.worker) workerRssMb = rss;
        else if (variant.name === FIGURES.defaults) defaultsRssMb = rss;
        figures.push(
          figure(variant.name, seen.count, (seen.last - seen.first) / 1000, {
            endToEndSeconds: round((seen.last - started) / 1000),
            peakRssMb: rss,
            cpuSeconds: cpu,
            note: `peak RSS ${rss} MB; CPU ${cpu} s; Node flags: ${variant.nodeArgs.join(' ') || 'none'}${seen.count < n ? `; only ${seen.count} of ${n} within 300 s` : ''}`,
          }),
        );
      } finally {
        await stopWorker(child);
        await target.close();
      }
    }

    // The worker's rows of these events (validated, enriched), for the baselines that insert them.
    const enricher = createEnricher(geoipLite, 50_000);
    const rows = all.map((e) => {
      const row = toRow(e);
      return { ...row, ...enricher.enrich(row.ip, row.user_agent) };
    });

    // Baseline 2: the same rows inserted straight into a table without views.
    {
      await ch.command(
        sql`CREATE TABLE ${identifier('raw_copy')} AS ${identifier('auth_events_ingest')} ENGINE = MergeTree PARTITION BY toYYYYMMDD(ts) ORDER BY (tenant_id, key_id, ts, event_id)`,
      );
      const started = performance.now();
      for (let i = 0; i < rows.length; i += 10_000) await ch.insert('raw_copy', rows.slice(i, i + 10_000));
      figures.push(figure(FIGURES.inserts, n, (performance.now() - started) / 1000));
    }

    // Baseline 3, the floor: ClickHouse's side of any worker writing these events to its tables.
    if (options.floor ?? true) {
      const floorDatabase = `${database}_floor`;
      extraDatabases.push(floorDatabase);
      await root.command(sql`CREATE DATABASE IF NOT EXISTS ${identifier(floorDatabase)}`);
      await runMigrations(root.withDatabase(floorDatabase), {
        directory: path.join(options.repoRoot, 'infra/clickhouse/migrations'),
        database: floorDatabase,
        logger: log,
      });
      figures.push(await floorBaseline(options.clickhouseUrl, floorDatabase, rows, options.cpuProbe));
      // Dropped at once: its tables' background merges would otherwise load the next measurement.
      await root.command(sql`DROP DATABASE IF EXISTS ${identifier(floorDatabase)}`);
      extraDatabases.pop();
    }

    // Baseline 4: ClickHouse's Kafka engine → materialized view → MergeTree: no validation, no
    // enrichment, no dead letters, no dedup, one view instead of six.
    if (options.kafkaEngine ?? true)
      figures.push(
        await kafkaEngineBaseline(
          ch,
          admin,
          options.kafkaBrokers,
          topics.authEvents,
          `bench-engine-${stamp}`,
          n,
          groups,
        ),
      );
    jsParseStringifyUs = parseStringifyUs(all);
  } finally {
    await root.command(sql`DROP DATABASE IF EXISTS ${identifier(database)}`).catch(() => undefined);
    for (const extra of extraDatabases)
      await root.command(sql`DROP DATABASE IF EXISTS ${identifier(extra)}`).catch(() => undefined);
    await root.close();
    await ch.close();
    const mine = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (mine.length > 0) await admin.deleteTopics({ topics: mine }).catch(() => undefined);
    await admin.deleteGroups(groups).catch(() => undefined);
    await admin.disconnect();
  }
  // The floor's figure counts the rows after its first insert (see floorBaseline); the others count all n.
  // NaN where a figure was not measured (not run, too short): ratios of it are NaN too, never 0 or ∞.
  const rate = (name: string) =>
    figures.find((f) => f.name.startsWith(name) && f.events >= (name === FIGURES.floor ? 1 : n))?.eventsPerSecond ??
    Number.NaN;
  const ratio = (a: number, b: number) => (b > 0 && Number.isFinite(a) ? Math.round((a / b) * 100) / 100 : Number.NaN);
  const engine = figures.find((f) => f.name === FIGURES.engine && f.events >= n);
  const engineRate = engine?.endToEndSeconds ? engine.events / engine.endToEndSeconds : Number.NaN;
  return {
    figures,
    workerVsRawConsumption: ratio(rate(FIGURES.worker), rate(FIGURES.raw)),
    workerVsKafkaEngine: ratio(rate(FIGURES.worker), engineRate),
    floorVsRawConsumption: ratio(rate(FIGURES.floor), rate(FIGURES.raw)),
    workerVsFloor: ratio(rate(FIGURES.worker), rate(FIGURES.floor)),
    cpuBoundEventsPerSecond: cpuBound(figures),
    jsParseStringifyUs,
    cpuBoundJsEventsPerSecond: jsParseStringifyUs > 0 ? cpuBound(figures, jsParseStringifyUs) : 0,
    workerRssMb,
    defaultsWorkerRssMb: defaultsRssMb,
    defaultsWorkerVsRawConsumption: ratio(rate(FIGURES.defaults), rate(FIGURES.raw)),
  };
}

/** See {@link IngestBenchResult.cpuBoundEventsPerSecond}; `extraUs`: CPU per event added to the unavoidable. */
function cpuBound(figures: readonly BenchFigure[], extraUs = 0): number {
  const raw = figures.find((f) => f.name === FIGURES.raw)?.cpuPerEventUs;
  const floor = figures.find((f) => f.name === FIGURES.floor)?.cpuPerEventUs;
  if (!raw || !floor) return 0;
  const unavoidableUs = floor.clickhouse + raw.bench + raw.kafka + extraUs;
  return unavoidableUs > 0 ? Math.round((availableParallelism() * 1e6) / unavoidableUs) : 0;
}

/**
 * See {@link IngestBenchResult.jsParseStringifyUs}: `JSON.parse` of each message as the worker
 * receives it (bytes) and `JSON.stringify` of its row, CPU µs per event, median of three passes.
 * Run after the engines are idle again, in this process, on one core.
 */
function parseStringifyUs(events: readonly AuthEvent[]): number {
  const messages = events.map((e) => Buffer.from(JSON.stringify(e)));
  const passes: number[] = [];
  let length = 0;
  for (let pass = 0; pass < 3; pass++) {
    const started = process.cpuUsage();
    for (const message of messages)
      length += JSON.stringify(toRow(JSON.parse(message.toString('utf8')) as AuthEvent)).length;
    const used = process.cpuUsage(started);
    passes.push((used.user + used.system) / messages.length);
  }
  // `length` keeps the work from being optimised away.
  return length > 0 ? Math.round(passes.sort((a, b) => a - b)[1]! * 100) / 100 : 0;
}

/**
 * The floor of any worker that writes these events into the worker's tables: ClickHouse's side
 * alone. The rows, validated, enriched and encoded in advance (RowBinary, as the worker sends
 * them by default), are inserted with the worker's own line inserter into `auth_events_ingest`,
 * whose six views fire, 20 000 rows per insert (the worker's default batch; fewer in a small run)
 * and two inserts in flight (the worker's two group members). No Kafka, no preparation, no dedup: no worker that
 * consumes and inserts these events can be faster than this on the same machine.
 */
async function floorBaseline(
  clickhouseUrl: string,
  database: string,
  rows: readonly EnrichedRow[],
  cpuProbe: (() => EngineCpu) | undefined,
): Promise<BenchFigure> {
  // As the worker sends them by default: RowBinary.
  const insert = createLineInserter({
    url: clickhouseUrl,
    database,
    format: { name: 'RowBinary', columns: ROW_BINARY_COLUMNS },
  });
  const lines = rows.map((row) => encodeRowBinary(row, Date.parse(`${row.ts.replace(' ', 'T')}Z`)).bytes);
  // The worker's default batch; a small run (`--quick`) takes ten inserts so the rate has several to span.
  const size = Math.min(20_000, Math.max(1, Math.ceil(lines.length / 10)));
  const batches: Uint8Array[][] = [];
  for (let i = 0; i < lines.length; i += size) batches.push(lines.slice(i, i + size));
  const cpu = cpuMeter(cpuProbe);
  // Like the worker's rate (first row counted to the last): from the first insert acknowledged to
  // the last, counting the rows acknowledged after the first.
  let next = 0;
  let first: { at: number; rows: number } | undefined;
  const member = async () => {
    for (let batch = batches[next++]; batch; batch = batches[next++]) {
      await insert('auth_events_ingest', batch);
      first ??= { at: performance.now(), rows: batch.length };
    }
  };
  await Promise.all([member(), member()]);
  const done = performance.now();
  if (!first || rows.length <= first.rows)
    return figure(FIGURES.floor, 0, 0, { note: 'too few rows for more than one insert' });
  // CPU per event over every insert: ClickHouse's cost of taking a row, first insert included.
  return figure(FIGURES.floor, rows.length - first.rows, (done - first.at) / 1000, cpu.perEvent(rows.length));
}

/** CPU used from its creation on by this process (`bench`), the engines' servers and the machine, per event. */
function cpuMeter(probe: (() => EngineCpu) | undefined): {
  perEvent(events: number): Pick<BenchFigure, 'cpuPerEventUs'>;
} {
  const before = probe?.();
  const own = process.cpuUsage();
  return {
    perEvent(events) {
      if (!probe || !before) return {};
      const after = probe();
      const ownUs = process.cpuUsage(own);
      const us = (seconds: number) => Math.round(((seconds * 1e6) / events) * 100) / 100;
      return {
        cpuPerEventUs: {
          bench: Math.round(((ownUs.user + ownUs.system) / events) * 100) / 100,
          clickhouse: us(after.clickhouse - before.clickhouse),
          kafka: us(after.kafka - before.kafka),
          machine: us(after.machine - before.machine),
        },
      };
    },
  };
}

/** ClickHouse's Kafka engine on the same topic, written for the server (see kafka-engine.ts). */
async function kafkaEngineBaseline(
  ch: ClickHouse,
  admin: ReturnType<ReturnType<typeof createKafka>['admin']>,
  brokers: string[],
  topic: string,
  groupId: string,
  n: number,
  groups: string[],
): Promise<BenchFigure> {
  groups.push(groupId);
  try {
    const peer = kafkaEnginePeer(await ch.serverVersion(), { brokers, topic, groupId });
    if (peer.offsetsAtStart) {
      const starts = await admin.fetchTopicOffsets(topic);
      await admin.setOffsets({
        groupId,
        topic,
        partitions: starts.map((p) => ({ partition: p.partition, offset: p.low })),
      });
    }
    await ch.command(peer.target);
    await ch.command(peer.source);
    const started = performance.now();
    await ch.command(peer.view);
    const seen = await watch(countOf(ch, 'kafka_target'), n, 120_000, 50);
    const endToEnd = (seen.last - started) / 1000;
    return figure(FIGURES.engine, seen.count, endToEnd, {
      endToEndSeconds: round(endToEnd),
      note:
        seen.count < n
          ? `only ${seen.count} of ${n} within 120 s`
          : 'rate from the view’s creation (the engine writes whole blocks, so first-to-last is not meaningful)',
    });
  } catch (error) {
    return {
      name: FIGURES.engine,
      events: 0,
      seconds: 0,
      eventsPerSecond: Number.NaN,
      note: `failed: ${error instanceof Error ? error.message.slice(0, 300) : String(error)}`,
    };
  } finally {
    await ch.command('DROP TABLE IF EXISTS kafka_mv').catch(() => undefined);
    await ch.command('DROP TABLE IF EXISTS kafka_source').catch(() => undefined);
  }
}
