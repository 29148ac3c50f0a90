/**
 * The benchmark suites `keywatch bench` knows, and running several as one report.
 * @module
 */
import type { EngineConfig } from '@keywatch/config';
import { benchDetect } from './detect.js';
import { benchKeys, type SuiteResult } from './keys.js';
import { benchAnalyticsSuite, benchIngestSuite } from './pipeline.js';
import { startMeta, type Figure, type RunMeta } from './report.js';

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
  keys: ({ config, quick, runs, progress, signal }) => benchKeys({ redisUrl: config.REDIS_URL, quick, runs, progress, signal }),
  ingest: ({ config, quick }) => benchIngestSuite({ config, quick }),
  analytics: ({ config, quick }) => benchAnalyticsSuite({ config, quick }),
  detect: ({ config, quick, progress }) => benchDetect({ config, quick, progress }),
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
}

/**
 * Runs the named suites one after another (never in parallel: they would measure each other) and
 * collects one report; `name` names it (`keys`, or `all`).
 */
export async function runSuites(name: string, suites: readonly SuiteName[], context: SuiteContext): Promise<BenchReport> {
  const runs = context.runs ?? (context.quick ? 1 : 3);
  const meta = startMeta(name, { quick: context.quick, runs });
  const figures: Figure[] = [];
  const notes: Record<string, unknown> = {};
  for (const suite of suites) {
    const result = await SUITES[suite]({ ...context, runs });
    figures.push(...result.figures);
    Object.assign(notes, result.notes);
  }
  return { figures, meta: meta.finish(notes) };
}
