/**
 * `keywatch bench soak [--duration 10m] [--rate 2000] [--sample 5s]`: the pipeline under sustained
 * load, over time. The ingest worker and the detector worker run as child processes (as deployed)
 * on throwaway topics, database and Redis prefix; this process produces ordinary traffic at the
 * target rate with attacks mixed in, and every sample period records:
 * - consumer lag per group (ingest, detector), from the committed offsets;
 * - each worker's RSS (`/proc/<pid>/status` VmRSS) and CPU use (cores, from `/proc/<pid>/stat`);
 * - produce→ingested latency: one marker event a second, found in ClickHouse by a poll every
 *   250 ms (so resolution 250 ms), p50/p99 of the markers found in the period;
 * - produce→alert latency: an attack (a secret key from a browser, which raises at once) every two
 *   seconds, timed when its alert arrives on `security-alerts`, p50/p99 per period;
 * - the rate actually produced.
 * Writes the series as JSON and one SVG line chart per series into `docs/soak/` (or `--out`).
 * Outside CI: the lead runs the 10-minute soak on a quiet machine.
 * @module
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { EngineConfig } from '@keywatch/config';
import { newEventId, type Alert, type AuthEvent } from '@keywatch/contracts';
import { createLogger } from '@keywatch/logger';
import {
  createProducer,
  ephemeralTarget,
  freePort,
  groupLag,
  prepareClickHouse,
  produceEvents,
  repoRoot,
  rssMb,
  startService,
  tail,
  type ServiceProcess,
} from '@keywatch/testkit/support';
import { attackEvent, ordinaryEvent } from './detect/events.js';
import { percentile } from './harness.js';
import { cpuSeconds } from './procs.js';
import { lineChart, type Series } from './svg.js';

export interface SoakOptions {
  config: EngineConfig;
  durationMs: number;
  /** Events per second offered. */
  rate: number;
  /** Sample period. Default 5 s. */
  sampleMs?: number;
  /** Partitions of the throwaway `auth-events` topic. Default 6. */
  partitions?: number;
  /** Where the JSON and the SVGs go. Default `docs/soak/`. */
  outDir?: string;
  /** PATH and HOME for the worker processes. */
  environment: NodeJS.ProcessEnv;
  progress: (line: string) => void;
  signal?: AbortSignal;
}

/** One sample period. Latencies in ms (NaN when no marker or attack completed in the period). */
export interface SoakSample {
  t_s: number;
  produced_per_s: number;
  lag_ingest: number;
  lag_detector: number;
  rss_ingest_mb: number;
  rss_detector_mb: number;
  cpu_ingest_cores: number;
  cpu_detector_cores: number;
  ingest_p50_ms: number;
  ingest_p99_ms: number;
  alert_p50_ms: number;
  alert_p99_ms: number;
  load1: number;
}

export interface SoakResult {
  meta: {
    started_at: string;
    duration_s: number;
    rate: number;
    sample_s: number;
    partitions: number;
    cpus: number;
    load_before: number[];
    load_after: number[];
    produced: number;
    attacks: number;
    alerts_seen: number;
    markers: number;
    markers_found: number;
    drained: boolean;
  };
  samples: SoakSample[];
  files: string[];
}

const round = (v: number, digits = 1) => (Number.isFinite(v) ? Number(v.toFixed(digits)) : Number.NaN);
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const sampleMs = options.sampleMs ?? 5_000;
  const partitions = options.partitions ?? 6;
  const outDir = options.outDir ?? path.join(repoRoot, 'docs/soak');
  const logger = createLogger({ name: 'bench-soak', level: 'warn' });
  const { config, progress } = options;
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
  const alertsTopic = `${target.topicPrefix}security-alerts`;
  const ch = await prepareClickHouse(target);
  const admin = target.kafka.admin();
  await admin.connect();
  const producer = await createProducer(target.kafka);
  const id = newEventId().slice(-8);
  const groups = { ingest: `soak-ingest-${id}`, detector: `soak-detector-${id}` };
  const common = {
    KAFKA_BROKERS: config.KAFKA_BROKERS.join(','),
    CLICKHOUSE_URL: config.CLICKHOUSE_URL,
    CLICKHOUSE_DATABASE: target.database,
    REDIS_URL: config.REDIS_URL,
    KEYWATCH_TOPIC_PREFIX: target.topicPrefix,
  };
  const workers: ServiceProcess[] = [];
  const loadBefore = os.loadavg();
  const startedAt = new Date();
  const samples: SoakSample[] = [];
  const markerSent = new Map<string, number>();
  const attackSent = new Map<string, number>();
  const ingestLatencies: number[] = [];
  const alertLatencies: number[] = [];
  let produced = 0;
  let attacks = 0;
  let markers = 0;
  let markersFound = 0;
  let alertsSeen = 0;
  let drained = false;
  let alertTail: { close(): Promise<void> } | undefined;
  let stop = false as boolean; // set by the workers and the poller
  let pollingDone = false as boolean;
  try {
    workers.push(
      startService(
        'ingest-worker',
        { ...common, INGEST_GROUP_ID: groups.ingest, INGEST_METRICS_PORT: '-1', INGEST_RETENTION_INTERVAL: '0' },
        options.environment,
      ),
    );
    workers.push(
      startService(
        'detector-worker',
        {
          ...common,
          DETECTOR_GROUP_ID: groups.detector,
          DETECTOR_REDIS_PREFIX: target.redisPrefix,
          DETECTOR_STATUS_REDIS_PREFIX: `${target.redisPrefix}status:`,
          DETECTOR_METRICS_PORT: String(await freePort()),
        },
        options.environment,
      ),
    );
    const [ingest, detector] = workers as [ServiceProcess, ServiceProcess];
    alertTail = await tail<Alert>(target, alertsTopic, (alert, at) => {
      alertsSeen += 1;
      const sent = alert.key_id === null ? undefined : attackSent.get(alert.key_id);
      if (sent !== undefined) {
        alertLatencies.push(at - sent);
        attackSent.delete(alert.key_id!);
      }
    });
    // Both workers consuming before the clock starts (start-up is not what a soak measures): one
    // warm-up event, committed by both groups.
    await produceEvents(producer, topic, [ordinaryEvent(Date.now(), 0)]);
    const ready = Date.now() + 180_000;
    while ((await groupLag(admin, groups.ingest, topic)) > 0 || (await groupLag(admin, groups.detector, topic)) > 0) {
      if (Date.now() > ready)
        throw new Error(
          `the workers did not start consuming within 180 s: ${workers.map((w) => w.output.slice(-5).join('\n')).join('\n')}`,
        );
      options.signal?.throwIfAborted();
      await sleep(250, options.signal);
    }
    progress(
      `soak: ${options.rate} events/s for ${options.durationMs / 1000} s, ${partitions} partitions, workers pid ${ingest.pid} (ingest) and ${detector.pid} (detector), sample every ${sampleMs / 1000} s`,
    );

    const t0 = Date.now();
    const end = t0 + options.durationMs;
    // Producing: a tick every 100 ms sends what the rate asks for up to now (catching up if a send was slow).
    const producing = (async () => {
      let i = 0;
      let nextMarker = t0;
      let nextAttack = t0 + 1_000;
      while (!stop && Date.now() < end && !options.signal?.aborted) {
        const now = Date.now();
        const due = Math.floor(((now - t0) / 1000) * options.rate) - produced;
        const events: AuthEvent[] = [];
        for (let k = 0; k < due; k += 1) events.push(ordinaryEvent(now, i++));
        if (now >= nextMarker) {
          const key = `key_soakmark${String(markers).padStart(12, '0')}`;
          events.push(ordinaryEvent(now, i++));
          events[events.length - 1] = { ...events[events.length - 1]!, key_id: key, event_id: newEventId() };
          markerSent.set(key, now);
          markers += 1;
          nextMarker += 1_000;
        }
        if (now >= nextAttack) {
          const attack = attackEvent(now, 0); // even: a secret key from a browser, a fresh key each time
          if (attack.key_id !== null) attackSent.set(attack.key_id, now);
          events.push(attack);
          attacks += 1;
          nextAttack += 2_000;
        }
        if (events.length > 0) await produceEvents(producer, topic, events, 1_000);
        produced += events.length;
        await sleep(100, options.signal);
      }
    })();
    // Markers: found in ClickHouse by a poll every 250 ms.
    const polling = (async () => {
      while (!pollingDone && !options.signal?.aborted) {
        const pending = [...markerSent.keys()];
        if (pending.length > 0) {
          const rows = await ch
            .query<{ key_id: string }>(
              `SELECT DISTINCT key_id FROM auth_events WHERE key_id IN (${pending.map((k) => `'${k}'`).join(',')})`,
            )
            .catch(() => []);
          const at = Date.now();
          for (const { key_id } of rows) {
            const sent = markerSent.get(key_id);
            if (sent === undefined) continue;
            ingestLatencies.push(at - sent);
            markerSent.delete(key_id);
            markersFound += 1;
          }
        }
        await sleep(250, options.signal);
      }
    })();

    let last = { at: t0, produced: 0, cpuIngest: cpuSeconds(ingest.pid), cpuDetector: cpuSeconds(detector.pid) };
    while (Date.now() < end && !options.signal?.aborted) {
      await sleep(Math.min(sampleMs, Math.max(0, end - Date.now())), options.signal);
      const at = Date.now();
      const cpu = { ingest: cpuSeconds(ingest.pid), detector: cpuSeconds(detector.pid) };
      const wall = (at - last.at) / 1000;
      const ing = ingestLatencies.splice(0).sort((a, b) => a - b);
      const alr = alertLatencies.splice(0).sort((a, b) => a - b);
      const sample: SoakSample = {
        t_s: round((at - t0) / 1000),
        produced_per_s: round((produced - last.produced) / wall, 0),
        lag_ingest: await groupLag(admin, groups.ingest, topic),
        lag_detector: await groupLag(admin, groups.detector, topic),
        rss_ingest_mb: round(rssMb(ingest.pid)),
        rss_detector_mb: round(rssMb(detector.pid)),
        cpu_ingest_cores: round((cpu.ingest - last.cpuIngest) / wall, 2),
        cpu_detector_cores: round((cpu.detector - last.cpuDetector) / wall, 2),
        ingest_p50_ms: round(percentile(ing, 50), 0),
        ingest_p99_ms: round(percentile(ing, 99), 0),
        alert_p50_ms: round(percentile(alr, 50), 0),
        alert_p99_ms: round(percentile(alr, 99), 0),
        load1: round(os.loadavg()[0] ?? Number.NaN, 2),
      };
      samples.push(sample);
      last = { at, produced, cpuIngest: cpu.ingest, cpuDetector: cpu.detector };
      progress(
        `t=${sample.t_s}s produced ${sample.produced_per_s}/s · lag ingest ${sample.lag_ingest} detector ${sample.lag_detector} · RSS ingest ${sample.rss_ingest_mb} MB detector ${sample.rss_detector_mb} MB · produce→ingested p99 ${sample.ingest_p99_ms} ms · produce→alert p99 ${sample.alert_p99_ms} ms`,
      );
      for (const w of workers)
        if (w.child.exitCode !== null || w.child.signalCode !== null)
          throw new Error(`${w.name} exited during the soak: ${w.output.slice(-10).join('\n')}`);
    }
    stop = true;
    await producing;
    // Drain: both groups caught up (bounded), so the last samples describe a finished run.
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && !options.signal?.aborted) {
      if (
        (await groupLag(admin, groups.ingest, topic)) === 0 &&
        (await groupLag(admin, groups.detector, topic)) === 0
      ) {
        drained = true;
        break;
      }
      await sleep(500, options.signal);
    }
    // The last markers: found once ingested (bounded like the drain).
    const markersDeadline = Date.now() + 10_000;
    while (markerSent.size > 0 && Date.now() < markersDeadline && !options.signal?.aborted)
      await sleep(250, options.signal);
    pollingDone = true;
    await polling;
  } finally {
    stop = true;
    pollingDone = true;
    await alertTail?.close().catch(() => undefined);
    await Promise.allSettled(workers.map((w) => w.stop()));
    await producer.close().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    await ch.close().catch(() => undefined);
    await dispose().catch(() => undefined);
  }
  const result: SoakResult = {
    meta: {
      started_at: startedAt.toISOString(),
      duration_s: options.durationMs / 1000,
      rate: options.rate,
      sample_s: sampleMs / 1000,
      partitions,
      cpus: os.availableParallelism(),
      load_before: loadBefore,
      load_after: os.loadavg(),
      produced,
      attacks,
      alerts_seen: alertsSeen,
      markers,
      markers_found: markersFound,
      drained,
    },
    samples,
    files: [],
  };
  result.files = writeSoak(result, outDir);
  return result;
}

/** Writes `soak.json` and one SVG per series into `dir`; returns the paths. */
export function writeSoak(result: SoakResult, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const s = result.samples;
  const line = (name: string, field: keyof SoakSample): Series => ({
    name,
    points: s.map((p) => [p.t_s, p[field]] as const),
  });
  const subtitle = `${result.meta.rate} events/s offered, ${result.meta.partitions} partitions, ${result.meta.cpus} cores`;
  const charts: Array<[string, string, string, Series[]]> = [
    [
      'lag.svg',
      `Consumer lag (${subtitle})`,
      'messages',
      [line('ingest group', 'lag_ingest'), line('detector group', 'lag_detector')],
    ],
    [
      'rss.svg',
      `Worker RSS (${subtitle})`,
      'MB',
      [line('ingest worker', 'rss_ingest_mb'), line('detector worker', 'rss_detector_mb')],
    ],
    [
      'latency.svg',
      `Latency p50/p99 (${subtitle})`,
      'ms',
      [
        line('produce→ingested p50', 'ingest_p50_ms'),
        line('produce→ingested p99', 'ingest_p99_ms'),
        line('produce→alert p50', 'alert_p50_ms'),
        line('produce→alert p99', 'alert_p99_ms'),
      ],
    ],
    [
      'cpu.svg',
      `Worker CPU (${subtitle})`,
      'cores',
      [
        line('ingest worker', 'cpu_ingest_cores'),
        line('detector worker', 'cpu_detector_cores'),
        line('load average (1 min)', 'load1'),
      ],
    ],
    ['rate.svg', `Events produced (${subtitle})`, 'events/s', [line('produced', 'produced_per_s')]],
  ];
  const files = [path.join(dir, 'soak.json')];
  writeFileSync(files[0]!, `${JSON.stringify({ meta: result.meta, samples: result.samples }, null, 2)}\n`);
  for (const [file, title, yLabel, series] of charts) {
    const out = path.join(dir, file);
    writeFileSync(out, lineChart({ title, xLabel: 'seconds since start', yLabel, series }));
    files.push(out);
  }
  return files;
}
