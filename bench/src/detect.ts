import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EngineConfig } from '@keywatch/config';
import { createLogger } from '@keywatch/logger';
import type { SuiteResult } from './keys.js';
import { figure } from './report.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * `keywatch bench detect`: the detector worker (its own process) draining a backlog (events/s,
 * against a bare consumer reading the same backlog), Redis commands per event, and produce→alert
 * latency at an offered rate with attacks mixed in, the load coming from another process (issue 6
 * targets: 10 000 events/s, p99 < 1 s), with the CPU split of that phase. Runs on throwaway
 * topics, database and Redis prefix. One run (not `--runs`): the live phase alone offers 200 000 events.
 */
export async function benchDetect(options: { config: EngineConfig; quick: boolean; progress: (line: string) => void }): Promise<SuiteResult> {
  // Loaded on demand: the detector brings geoip-lite's data (about 150 MB) into memory.
  const { runDetectBench } = await import('@keywatch/detector-worker');
  const engines = {
    brokers: options.config.KAFKA_BROKERS,
    clickhouseUrl: options.config.CLICKHOUSE_URL,
    redisUrl: options.config.REDIS_URL,
    logger: createLogger({ name: 'bench-detect', level: 'warn' }),
    repoRoot,
  };
  const settings = options.quick ? { backlog: 2_000, rate: 500, seconds: 3 } : { backlog: 50_000, rate: 10_000, seconds: 20 };
  const report = await runDetectBench(engines, { ...settings, print: options.progress });
  const raw = { name: 'bare consumer, same backlog', value: report.rawConsumeEventsPerSecond };
  return {
    figures: [
      figure('detector drain, 1 worker', report.drainEventsPerSecond, 'events/s', { baseline: raw, target: { atLeast: 10_000 } }),
      figure('detector Redis commands per event', report.redisCommandsPerEvent, 'commands'),
      figure(`produce→alert p50 at ${settings.rate}/s offered`, report.latency.p50Ms, 'ms'),
      figure(`produce→alert p99 at ${settings.rate}/s offered`, report.latency.p99Ms, 'ms', { target: { below: 1000 } }),
      figure('offered rate achieved', report.latency.achievedRate, 'events/s'),
      figure('live phase CPU: worker', report.cpu.worker, 's'),
      figure('live phase CPU: Redis (all clients)', report.cpu.redis, 's'),
      figure('live phase CPU: whole machine', report.cpu.machine, 's'),
    ],
    notes: { detect: { ...settings, report } },
  };
}
