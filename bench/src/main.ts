/**
 * The benchmark program behind `keywatch bench [suite] [--quick] [--runs N]`: runs the suites one
 * after another, prints the table and writes the JSON. Its own process, so the figures do not
 * share a heap or an event loop with whatever else the CLI has loaded.
 * @module
 */
import { parseArgs } from 'node:util';
import { ConfigError, engineConfig, parseConfig } from '@keywatch/config';
import { describeRun, printTable, writeJson } from './report.js';
import { isSuiteName, runSuites, SUITE_NAMES, type SuiteName } from './suites.js';

class UsageError extends Error {}

function parseCommandLine(args: string[]): { name: string; suites: SuiteName[]; quick: boolean; runs: number | undefined } {
  const usage = `usage: bench [${[...SUITE_NAMES, 'all'].join('|')}] [--quick] [--runs N]`;
  let parsed;
  try {
    parsed = parseArgs({ args, options: { quick: { type: 'boolean', default: false }, runs: { type: 'string' } }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message : String(error)}\n${usage}`);
  }
  const { values, positionals } = parsed;
  if (positionals.length > 1) throw new UsageError(`one suite at most, got ${positionals.join(' ')}\n${usage}`);
  const name = positionals[0] ?? 'all';
  if (name !== 'all' && !isSuiteName(name)) throw new UsageError(`unknown suite "${name}"; known: ${[...SUITE_NAMES, 'all'].join(', ')}`);
  const runs = values.runs === undefined ? undefined : Number(values.runs);
  if (runs !== undefined && !(Number.isInteger(runs) && runs >= 1)) throw new UsageError(`--runs must be a positive integer, got ${values.runs}`);
  return { name, suites: name === 'all' ? SUITE_NAMES : [name], quick: values.quick, runs };
}

async function main(): Promise<void> {
  const { name, suites, quick, runs } = parseCommandLine(process.argv.slice(2));
  const config = parseConfig(engineConfig, process.env);
  // A signal stops the measurement between operations so each suite still deletes its data.
  // `on`, not `once`: Ctrl-C reaches this process twice (from the terminal and forwarded by the
  // CLI), and a second default SIGINT would kill it before the cleanup.
  const abort = new AbortController();
  const stop = (signal: NodeJS.Signals) => abort.abort(new Error(`interrupted by ${signal}`));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    const report = await runSuites(name, suites, { config, quick, runs, progress: (line) => console.error(`  … ${line}`), signal: abort.signal });
    console.log(`\n${describeRun(report.meta)}\n`);
    printTable(report.figures);
    console.log(`\nJSON: ${writeJson(report.figures, report.meta)}`);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = error instanceof ConfigError || error instanceof UsageError ? 2 : 1;
});
