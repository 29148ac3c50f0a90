/**
 * What a benchmark reports: figures (each with its same-run baseline, ratio, target and verdict),
 * printed as a plain-text table and written as JSON with the machine's state.
 * @module
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** `pass`/`short`: measured against a target; `info`: reported without one; `failed`: the suite did not finish (the figure names the error). */
export type Verdict = 'pass' | 'short' | 'info' | 'failed';

/** One reported figure. */
export interface Figure {
  figure: string;
  value: number;
  unit: string;
  /** What the value is compared with, measured in the same run (e.g. `redis GET c=50`). */
  baseline?: string;
  baselineValue?: number;
  /** value / baselineValue. */
  ratio?: number;
  /** e.g. `< 2 ms`. */
  target?: string;
  verdict: Verdict;
}

/** A target: the value must be below `below` or at least `atLeast` (in the figure's unit). */
export type Target = { below: number } | { atLeast: number };

/** Builds a {@link Figure}: the ratio from the baseline, the verdict from the target (else `info`). */
export function figure(
  name: string,
  value: number,
  unit: string,
  options: { baseline?: { name: string; value: number }; target?: Target } = {},
): Figure {
  const out: Figure = { figure: name, value, unit, verdict: 'info' };
  // Not measured (a phase too short for a rate, a baseline that did not run): no ratio, no verdict.
  if (!Number.isFinite(value)) {
    if (options.target) out.target = formatTarget(options.target, unit);
    return out;
  }
  if (options.baseline && Number.isFinite(options.baseline.value) && options.baseline.value !== 0) {
    out.baseline = options.baseline.name;
    out.baselineValue = options.baseline.value;
    out.ratio = value / options.baseline.value;
  }
  const target = options.target;
  if (target) {
    const met = 'below' in target ? value < target.below : value >= target.atLeast;
    out.target = formatTarget(target, unit);
    out.verdict = met ? 'pass' : 'short';
  }
  return out;
}

const formatTarget = (target: Target, unit: string) =>
  'below' in target ? `< ${formatNumber(target.below)} ${unit}` : `≥ ${formatNumber(target.atLeast)} ${unit}`;

/** Thousands separated above 1 000, three significant digits below 10, one decimal between. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const size = Math.abs(value);
  if (size >= 100) return Math.round(value).toLocaleString('en-US');
  if (size >= 10) return value.toFixed(1);
  if (size === 0) return '0';
  return Number(value.toPrecision(3)).toString();
}

/** What the table prints for a figure whose value is not a number: never a made-up figure. */
export const NOT_MEASURED = 'not measured (too short)';

const COLUMNS = ['figure', 'value', 'baseline (same run)', 'ratio', 'target', 'verdict'] as const;

/** The figures as an aligned plain-text table (numbers right-aligned), one line per figure. */
export function formatTable(figures: readonly Figure[]): string {
  const rows = figures.map((f) => [
    f.figure,
    f.verdict === 'failed'
      ? '—'
      : Number.isFinite(f.value)
        ? `${formatNumber(f.value)} ${f.unit}`.trimEnd()
        : NOT_MEASURED,
    f.baseline !== undefined && f.baselineValue !== undefined
      ? `${f.baseline}: ${formatNumber(f.baselineValue)} ${f.unit}`
      : '',
    f.ratio !== undefined ? `${f.ratio.toFixed(2)}×` : '',
    f.target ?? '',
    f.verdict,
  ]);
  const widths = COLUMNS.map((title, c) => Math.max(title.length, ...rows.map((row) => row[c]?.length ?? 0)));
  const rightAligned = new Set([1, 3]);
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, c) => (rightAligned.has(c) ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(COLUMNS), line(widths.map((w) => '─'.repeat(w))), ...rows.map(line)].join('\n');
}

/** Prints {@link formatTable} to stdout. */
export function printTable(figures: readonly Figure[]): void {
  console.log(formatTable(figures));
}

/** The machine and the code a result came from. */
export interface RunMeta {
  /** The suite name (`keys`) or `all`; names the JSON file. */
  suite: string;
  quick: boolean;
  /** Runs per figure; each figure is the median of these. */
  runs: number;
  started_at: string;
  finished_at: string;
  node: string;
  platform: string;
  /** Cores Node may use (`os.availableParallelism()`). */
  cpus: number;
  cpu_model: string;
  total_memory_bytes: number;
  /** 1, 5 and 15 minute load averages. */
  load_before: number[];
  load_after: number[];
  /** `git rev-parse HEAD`, or null outside a git checkout. */
  git_commit: string | null;
  /** True when the working tree had uncommitted changes. */
  git_dirty: boolean | null;
  /** What each suite adds (engine versions and settings, operation counts…). */
  notes: Record<string, unknown>;
}

/** One line on how and where the figures were measured: runs, cores, load, Node, commit. */
export function describeRun(meta: RunMeta): string {
  const load = (values: number[]) => values.map((l) => l.toFixed(2)).join(' ');
  const quick = meta.quick ? ' (quick: checks every path runs, not its speed)' : '';
  const commit =
    meta.git_commit === null
      ? 'no git commit'
      : `commit ${meta.git_commit.slice(0, 12)}${meta.git_dirty ? ' (uncommitted changes)' : ''}`;
  return `${meta.suite}${quick}: median of ${meta.runs} run${meta.runs === 1 ? '' : 's'} on ${meta.cpus} cores (${meta.cpu_model}), load ${load(meta.load_before)} before and ${load(meta.load_after)} after, node ${meta.node}, ${commit}`;
}

const benchRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Where {@link writeJson} writes by default: `bench/results/` (git-ignored). */
export const RESULTS_DIR = path.join(benchRoot, 'results');

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: benchRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return null;
  }
}

/**
 * Notes the machine before a benchmark; `finish` notes the load after it and the suites' notes.
 * Call `startMeta` before the first measurement so `load_before` shows what else was running.
 */
export function startMeta(
  suite: string,
  settings: { quick: boolean; runs: number },
): { finish: (notes: Record<string, unknown>) => RunMeta } {
  const cpus = os.cpus();
  const commit = git(['rev-parse', 'HEAD']);
  const status = commit === null ? null : git(['status', '--porcelain']);
  const before = {
    suite,
    quick: settings.quick,
    runs: settings.runs,
    started_at: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform} ${os.release()} ${process.arch}`,
    cpus: os.availableParallelism(),
    cpu_model: cpus[0]?.model.trim() ?? 'unknown',
    total_memory_bytes: os.totalmem(),
    load_before: os.loadavg(),
    git_commit: commit?.trim() ?? null,
    git_dirty: status === null ? null : status.trim() !== '',
  };
  return { finish: (notes) => ({ ...before, finished_at: new Date().toISOString(), load_after: os.loadavg(), notes }) };
}

/** Writes `{ meta, figures }` to `<dir>/<suite>[-quick]-<timestamp>.json` and returns the path. */
export function writeJson(figures: readonly Figure[], meta: RunMeta, dir: string = RESULTS_DIR): string {
  mkdirSync(dir, { recursive: true });
  const stamp = meta.started_at.replace(/[:.]/g, '-');
  const file = path.join(dir, `${meta.suite}${meta.quick ? '-quick' : ''}-${stamp}.json`);
  writeFileSync(file, `${JSON.stringify({ meta, figures }, null, 2)}\n`);
  return file;
}
