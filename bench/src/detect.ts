import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EngineConfig } from '@keywatch/config';
import { createLogger } from '@keywatch/logger';
import type { BenchReport } from './detect/run.js';
import type { SuiteResult } from './keys.js';
import { median } from './harness.js';
import { engineCpuSeconds } from './procs.js';
import { figure } from './report.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * `keywatch bench detect`: the detector worker (its own process) draining a backlog (events/s,
 * against a bare consumer reading the same backlog; Redis commands, Redis script time and worker
 * CPU per event), and produce→alert latency at an offered rate with attacks mixed in, the load
 * coming from another process (issue 6 targets: 10 000 events/s, p99 < 1 s), with the CPU split of
 * that phase and the worker's batches in it (events and handler time per batch; per-stage means in
 * the notes); then the latency at half that rate with the machine's busy share, to tell the design's
 * latency from a saturated machine's queueing. Runs on throwaway topics, database and Redis prefix. `runs` whole runs (default 3, 1
 * with `quick`), one after another: each figure is the median of the runs' figures (the baseline
 * too, measured in each run), and every run is kept in the notes.
 */
export async function benchDetect(options: {
  config: EngineConfig;
  quick: boolean;
  runs?: number;
  progress: (line: string) => void;
}): Promise<SuiteResult> {
  // Loaded on demand: the detector brings geoip-lite's data (about 150 MB) into memory.
  const { runDetectBench } = await import('./detect/run.js');
  const engines = {
    brokers: options.config.KAFKA_BROKERS,
    clickhouseUrl: options.config.CLICKHOUSE_URL,
    redisUrl: options.config.REDIS_URL,
    logger: createLogger({ name: 'bench-detect', level: 'warn' }),
    repoRoot,
  };
  // Half the target rate as well: the latency when the machine is not saturated.
  const settings = options.quick
    ? { backlog: 2_000, rate: 500, seconds: 3, extraRates: [] }
    : { backlog: 150_000, rate: 10_000, seconds: 20, extraRates: [5_000] };
  const runs = options.runs ?? (options.quick ? 1 : 3);
  if (!Number.isInteger(runs) || runs < 1) throw new RangeError(`runs must be a positive integer, got ${runs}`);
  const reports: BenchReport[] = [];
  for (let r = 0; r < runs; r += 1) {
    if (runs > 1) options.progress(`detect run ${r + 1}/${runs}`);
    reports.push(await runDetectBench(engines, { ...settings, print: options.progress, cpuProbe: engineCpuSeconds }));
  }
  const of = (pick: (report: BenchReport) => number) => median(reports.map(pick));
  const raw = { name: 'bare consumer, same backlog', value: of((r) => r.rawConsumeEventsPerSecond) };
  return {
    figures: [
      figure(
        'detector drain, 1 worker',
        of((r) => r.drainEventsPerSecond),
        'events/s',
        { baseline: raw, target: { atLeast: 10_000 } },
      ),
      figure(
        'detector Redis commands per event',
        of((r) => r.redisCommandsPerEvent),
        'commands',
      ),
      figure(
        'detector worker CPU per event (draining)',
        of((r) => r.drainWorkerCpuUsPerEvent),
        'µs',
      ),
      figure(
        'Redis time in scripts per event (draining, all clients)',
        of((r) => r.redisScriptUsPerEvent),
        'µs',
      ),
      figure(
        `produce→alert p50 at ${settings.rate}/s offered`,
        of((r) => r.latency.p50Ms),
        'ms',
      ),
      figure(
        `produce→alert p99 at ${settings.rate}/s offered`,
        of((r) => r.latency.p99Ms),
        'ms',
        { target: { below: 1000 } },
      ),
      figure(
        'offered rate achieved',
        of((r) => r.latency.achievedRate),
        'events/s',
      ),
      ...settings.extraRates.flatMap((rate, i) => [
        figure(
          `produce→alert p50 at ${rate}/s offered`,
          of((r) => r.latencyAt[i]?.p50Ms ?? Number.NaN),
          'ms',
        ),
        figure(
          `produce→alert p99 at ${rate}/s offered`,
          of((r) => r.latencyAt[i]?.p99Ms ?? Number.NaN),
          'ms',
        ),
        figure(
          `machine CPU busy at ${rate}/s offered`,
          of((r) => (r.latencyAt[i]?.machineBusy ?? Number.NaN) * 100),
          '%',
        ),
      ]),
      figure(
        'live phase: events per batch (mean)',
        of((r) => r.batches.meanEvents),
        'events',
      ),
      figure(
        'live phase: handler time per batch (mean, commit excluded)',
        of((r) => r.batches.meanMs),
        'ms',
      ),
      figure(
        'live phase CPU: worker',
        of((r) => r.cpu.worker),
        's',
      ),
      figure(
        'live phase CPU: Redis (all clients)',
        of((r) => r.cpu.redis),
        's',
      ),
      figure(
        'live phase CPU: ClickHouse',
        of((r) => r.cpu.clickhouse),
        's',
      ),
      figure(
        'live phase CPU: Kafka broker',
        of((r) => r.cpu.kafka),
        's',
      ),
      figure(
        'live phase CPU: whole machine',
        of((r) => r.cpu.machine),
        's',
      ),
    ],
    notes: { detect: { ...settings, runs, reports } },
  };
}
