/**
 * The benchmark suites `keywatch bench` knows, and running several as one report.
 * @module
 */
import type { EngineConfig } from '@keywatch/config';
import { benchDetect } from './detect.js';
import { benchKeys, type SuiteResult } from './keys.js';
import { benchAnalyticsSuite, benchIngestSuite } from './pipeline.js';
import { sampleRss } from './procs.js';
import { figure, startMeta, type Figure, type RunMeta } from './report.js';

/** What every suite gets: the engines' addresses (parsed by the caller) and the run settings. */
export interface SuiteContext {
  config: EngineConfig;
  /** Small counts and one run: every path exercised, speed not judged. */
  quick: boolean;
  /** Runs per figure (medians reported). Default: 3, or 1 with `quick`. */
  runs?: number;
  progress: (line: string) => void;
  signal?: AbortSignal;
}

/** A suite: measures, cleans up after itself, returns figures. */
export type Suite = (context: SuiteContext) => Promise<SuiteResult>;

/** Every suite by name, in the order `all` runs them. */
export const SUITES = {
  keys: ({ config, quick, runs, progress, signal }) =>
    benchKeys({ redisUrl: config.REDIS_URL, quick, runs, progress, signal }),
  ingest: ({ config, quick, runs }) => benchIngestSuite({ config, quick, runs }),
  analytics: ({ config, quick }) => benchAnalyticsSuite({ config, quick }),
  detect: ({ config, quick, runs, progress }) => benchDetect({ config, quick, runs, progress }),
  gateway: async ({ config, quick, runs, progress, signal }) =>
    (await import('./gateway.js')).benchGateway({
      kafkaBrokers: config.KAFKA_BROKERS,
      redisUrl: config.REDIS_URL,
      quick,
      runs,
      progress,
      signal,
    }),
  alerts: async ({ config, quick, runs, progress }) =>
    (await import('./alerts.js')).benchAlerts({ config, quick, runs, progress }),
  verify: async ({ config, quick, runs, progress, signal }) =>
    (await import('./verify.js')).benchVerify({
      kafkaBrokers: config.KAFKA_BROKERS,
      redisUrl: config.REDIS_URL,
      quick,
      runs,
      progress,
      signal,
    }),
} satisfies Record<string, Suite>;

export type SuiteName = keyof typeof SUITES;

/** The suite names, in the order `all` runs them. */
export const SUITE_NAMES = Object.keys(SUITES) as SuiteName[];

/** True for a name in {@link SUITES}. */
export function isSuiteName(name: string): name is SuiteName {
  return Object.hasOwn(SUITES, name);
}

/** One report: every figure of the suites run, and the machine they ran on. */
export interface BenchReport {
  figures: Figure[];
  meta: RunMeta;
  /** Suites that threw; their error is a `failed` row in `figures`. */
  failed: SuiteName[];
}

/**
 * Runs the named suites one after another (never in parallel: they would measure each other) and
 * collects one report; `name` names it (`keys`, or `all`). While each suite runs, the resident
 * memory of this process and of every process under it is sampled (`/proc/<pid>/status` VmRSS,
 * every 250 ms): suites that run a worker in-process (ingest) show it as `bench (this process)`,
 * suites that start workers as child processes (detect, gateway) show them by service. The peaks
 * and the machine's cores and load average close the table.
 */
export async function runSuites(
  name: string,
  suites: readonly SuiteName[],
  context: SuiteContext,
): Promise<BenchReport> {
  const runs = context.runs ?? (context.quick ? 1 : 3);
  const meta = startMeta(name, { quick: context.quick, runs });
  const figures: Figure[] = [];
  const notes: Record<string, unknown> = {};
  const rss: Record<string, Record<string, number>> = {};
  const failed: SuiteName[] = [];
  for (const suite of suites) {
    const sampler = sampleRss();
    let peaks: Map<string, number> | undefined;
    try {
      const result = await SUITES[suite]({ ...context, runs });
      // Quick runs use tiny counts: their rates and latencies are not figures to judge, so no
      // verdict (a 5 000-event ingest "passes" at millions per second).
      figures.push(
        ...(context.quick
          ? result.figures.map((f) => ({ ...f, verdict: f.verdict === 'failed' ? f.verdict : ('info' as const) }))
          : result.figures),
      );
      Object.assign(notes, result.notes);
    } catch (error) {
      // One suite failing must not hide the others' figures: it becomes a `failed` row (and the
      // program's exit status), unless the run was interrupted.
      if (context.signal?.aborted) throw error;
      const message = error instanceof Error ? error.message : String(error);
      context.progress(`${suite} failed: ${message}`);
      figures.push({
        figure: `${suite} suite failed: ${message.split('\n')[0]?.slice(0, 160)}`,
        value: Number.NaN,
        unit: '',
        verdict: 'failed',
      });
      failed.push(suite);
    } finally {
      peaks = sampler.stop();
    }
    rss[suite] = Object.fromEntries(peaks);
    for (const [process, mb] of peaks) figures.push(figure(`RSS peak during ${suite}: ${process}`, mb, 'MB'));
  }
  const finished = meta.finish({ ...notes, rss_peaks_mb: rss, failed_suites: failed });
  figures.push(...machineFigures(finished));
  return { figures, meta: finished, failed };
}

/** The machine the figures came from, as table rows: cores, and the 1-minute load before and after. */
export function machineFigures(meta: RunMeta): Figure[] {
  return [
    figure(`machine: cores (${meta.cpu_model})`, meta.cpus, 'cores'),
    figure('machine: load average (1 min) before', meta.load_before[0] ?? Number.NaN, ''),
    figure('machine: load average (1 min) after', meta.load_after[0] ?? Number.NaN, ''),
  ];
}
