import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { repoRoot } from '../repo.js';
import { runNode } from './run.js';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

export function registerBench(program: Command, env: NodeJS.ProcessEnv): void {
  program
    .command('bench')
    .argument(
      '[suite]',
      'keys, gateway, ingest, analytics, detect, alerts, verify, all (every suite), soak or scaling',
      'all',
    )
    .description(
      'benchmarks against baselines measured in the same run: prints figure, value, baseline, ratio, target and verdict, and writes JSON under bench/results/',
    )
    .option('--quick', 'small counts and one run: checks every benchmark path runs (for CI), not its speed')
    .option('--runs <n>', 'runs per figure, medians reported (default 3, with --quick 1)', positiveInt)
    .addHelpText(
      'after',
      '\nsoak: --duration 10m --rate 2000 --sample 5s --partitions 6 --out DIR\nscaling: --events 200000 --partitions 1,4,8 --instances 1,2,4\n(validated by the bench program itself)',
    )
    // soak and scaling take options of their own; the bench program parses and validates them.
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .action(async (_suite: string, options: { quick?: boolean; runs?: number }, command: Command) => {
      // The benchmarks run as their own program (bench/src/main.ts, which reads the engine
      // variables through the config package), so the figures share no heap or event loop with the CLI.
      // command.args: the suite and the options commander does not know; the known ones go back on.
      const args = [
        ...command.args,
        ...(options.quick ? ['--quick'] : []),
        ...(options.runs !== undefined ? ['--runs', String(options.runs)] : []),
      ];
      process.exitCode = await runNode(path.join(repoRoot, 'bench/src/main.ts'), args, env);
    });
}
