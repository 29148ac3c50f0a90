/**
 * The benchmark program behind `keywatch bench …`. Its own process, so the figures do not share a
 * heap or an event loop with whatever else the CLI has loaded.
 *
 * - `bench [suite|all] [--quick] [--runs N]`: runs the suites one after another, prints ONE table
 *   (figure, value, same-run baseline, ratio, target, verdict; the RSS peaks of the processes under
 *   load and the machine's cores and load average included) and writes the JSON.
 * - `bench soak [--duration 10m] [--rate 2000] [--sample 5s] [--partitions 6] [--out DIR]`: the
 *   pipeline under sustained load; series as JSON and SVG plots in `docs/soak/`.
 * - `bench scaling [--events 200000] [--partitions 1,4,8] [--instances 1,2,4]`: ingest throughput
 *   by partitions and worker instances, and which process's CPU is the bottleneck.
 * @module
 */
import { parseArgs } from 'node:util';
import { ConfigError, engineConfig, parseConfig } from '@keywatch/config';
import { describeRun, printTable, startMeta, writeJson } from './report.js';
import { runScaling } from './scaling.js';
import { runSoak } from './soak.js';
import { isSuiteName, runSuites, SUITE_NAMES, type SuiteName } from './suites.js';

class UsageError extends Error {}

const USAGE = [
  `usage: bench [${[...SUITE_NAMES, 'all'].join('|')}] [--quick] [--runs N]`,
  '       bench soak [--duration 10m] [--rate 2000] [--sample 5s] [--partitions 6] [--out DIR]',
  '       bench scaling [--events 200000] [--partitions 1,4,8] [--instances 1,2,4]',
].join('\n');

/** `90s`, `10m`, `1h` or plain milliseconds → ms. */
export function parseDuration(text: string, option: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) throw new UsageError(`${option} must be a duration like 90s, 10m or 1h, got "${text}"\n${USAGE}`);
  const value = Number(match[1]);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[(match[2] ?? 'ms') as 'ms' | 's' | 'm' | 'h'];
  return value * unit;
}

function positiveInt(text: string | undefined, option: string, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!(Number.isInteger(value) && value >= 1))
    throw new UsageError(`${option} must be a positive integer, got ${text}\n${USAGE}`);
  return value;
}

function intList(text: string | undefined, option: string, fallback: number[]): number[] {
  if (text === undefined) return fallback;
  return text.split(',').map((part) => positiveInt(part.trim(), option, 0));
}

type Command =
  | { kind: 'suites'; name: string; suites: SuiteName[]; quick: boolean; runs: number | undefined }
  | { kind: 'soak'; durationMs: number; rate: number; sampleMs: number; partitions: number; out: string | undefined }
  | { kind: 'scaling'; events: number; partitions: number[]; instances: number[] };

export function parseCommandLine(args: string[]): Command {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        quick: { type: 'boolean', default: false },
        runs: { type: 'string' },
        duration: { type: 'string' },
        rate: { type: 'string' },
        sample: { type: 'string' },
        partitions: { type: 'string' },
        instances: { type: 'string' },
        events: { type: 'string' },
        out: { type: 'string' },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (positionals.length > 1)
    throw new UsageError(`one suite or command at most, got ${positionals.join(' ')}\n${USAGE}`);
  const name = positionals[0] ?? 'all';
  if (name === 'soak') {
    return {
      kind: 'soak',
      durationMs: parseDuration(values.duration ?? '10m', '--duration'),
      rate: positiveInt(values.rate, '--rate', 2_000),
      sampleMs: parseDuration(values.sample ?? '5s', '--sample'),
      partitions: positiveInt(values.partitions, '--partitions', 6),
      out: values.out,
    };
  }
  if (name === 'scaling') {
    return {
      kind: 'scaling',
      events: positiveInt(values.events, '--events', values.quick ? 10_000 : 200_000),
      partitions: intList(values.partitions, '--partitions', [1, 4, 8]),
      instances: intList(values.instances, '--instances', [1, 2, 4]),
    };
  }
  if (name !== 'all' && !isSuiteName(name))
    throw new UsageError(`unknown suite "${name}"; known: ${[...SUITE_NAMES, 'all', 'soak', 'scaling'].join(', ')}`);
  return {
    kind: 'suites',
    name,
    suites: name === 'all' ? SUITE_NAMES : [name],
    quick: values.quick,
    runs: values.runs === undefined ? undefined : positiveInt(values.runs, '--runs', 1),
  };
}

async function main(): Promise<void> {
  const command = parseCommandLine(process.argv.slice(2));
  const config = parseConfig(engineConfig, process.env);
  // A signal stops the measurement between operations so each suite still deletes its data.
  // `on`, not `once`: Ctrl-C reaches this process twice (from the terminal and forwarded by the
  // CLI), and a second default SIGINT would kill it before the cleanup.
  const abort = new AbortController();
  const stop = (signal: NodeJS.Signals) => abort.abort(new Error(`interrupted by ${signal}`));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const progress = (line: string) => console.error(`  … ${line}`);
  try {
    if (command.kind === 'soak') {
      const result = await runSoak({
        config,
        durationMs: command.durationMs,
        rate: command.rate,
        sampleMs: command.sampleMs,
        partitions: command.partitions,
        outDir: command.out,
        environment: process.env,
        progress,
        signal: abort.signal,
      });
      const m = result.meta;
      console.log(
        `\nsoak: ${m.produced.toLocaleString('en-US')} events over ${m.duration_s} s at ${m.rate}/s offered on ${m.cpus} cores (load ${m.load_before.map((l) => l.toFixed(2)).join(' ')} before, ${m.load_after.map((l) => l.toFixed(2)).join(' ')} after); ${m.attacks} attacks, ${m.alerts_seen} alerts seen; ${m.markers_found}/${m.markers} markers found in ClickHouse; drained: ${m.drained}`,
      );
      console.log(`files:\n${result.files.map((f) => `  ${f}`).join('\n')}`);
      return;
    }
    if (command.kind === 'scaling') {
      const meta = startMeta('scaling', { quick: false, runs: 1 });
      const result = await runScaling({
        config,
        events: command.events,
        partitions: command.partitions,
        instances: command.instances,
        environment: process.env,
        progress,
        signal: abort.signal,
      });
      const finished = meta.finish({ scaling: result.cells });
      console.log(`\n${describeRun(finished)}\n`);
      printTable(result.figures);
      console.log(`\nJSON: ${writeJson(result.figures, finished)}`);
      return;
    }
    const report = await runSuites(command.name, command.suites, {
      config,
      quick: command.quick,
      runs: command.runs,
      progress,
      signal: abort.signal,
    });
    console.log(`\n${describeRun(report.meta)}\n`);
    printTable(report.figures);
    console.log(`\nJSON: ${writeJson(report.figures, report.meta)}`);
    if (report.failed.length > 0) {
      process.stderr.write(`bench: ${report.failed.join(', ')} failed (see the table)\n`);
      process.exitCode = 1;
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

// Only when run as the program (the unit test imports the parser).
if (process.argv[1] !== undefined && /bench\/src\/main\.ts$/.test(process.argv[1])) {
  main().catch((error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = error instanceof ConfigError || error instanceof UsageError ? 2 : 1;
  });
}
