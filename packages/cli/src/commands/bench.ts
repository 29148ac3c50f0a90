import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { repoRoot } from '../repo.js';
import { runNode } from './run.js';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

export function registerBench(program: Command): void {
  program
    .command('bench')
    .argument('[suite]', 'keys, or all (every suite)', 'all')
    .description('benchmarks against baselines measured in the same run: prints figure, value, baseline, ratio, target and verdict, and writes JSON under bench/results/')
    .option('--quick', 'small counts and one run: checks every benchmark path runs (for CI), not its speed')
    .option('--runs <n>', 'runs per figure, medians reported (default 3, with --quick 1)', positiveInt)
    .action(async (suite: string, options: { quick?: boolean; runs?: number }) => {
      // The benchmarks run as their own program (bench/src/main.ts, which reads the engine
      // variables through the config package), so the figures share no heap or event loop with the CLI.
      const args = [suite, ...(options.quick ? ['--quick'] : []), ...(options.runs !== undefined ? ['--runs', String(options.runs)] : [])];
      process.exitCode = await runNode(path.join(repoRoot, 'bench/src/main.ts'), args);
    });
}
