import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { resolveStackSettings, stackEnvironment, stackUp, type ClickHouseEngine } from '@keywatch/local-stack';
import { Option, type Command } from 'commander';
import { addSummaries, clickhouseTestFiles, selectFiles } from '../clickhouse-matrix.js';
import { repoRoot } from '../repo.js';
import { printStatus } from './stack.js';

function step(title: string, command: string, args: string[], env: NodeJS.ProcessEnv): Promise<boolean> {
  console.log(`\n━━ ${title}: ${command} ${args.join(' ')}`);
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: repoRoot, stdio: 'inherit', env });
    child.once('error', (error) => {
      console.error(`${title}: ${error.message}`);
      resolve(false);
    });
    child.once('exit', (code) => resolve(code === 0));
  });
}

const SUMMARY = path.join(repoRoot, '.keywatch', 'last-test-summary');

function readSummary(): string | undefined {
  return existsSync(SUMMARY) ? readFileSync(SUMMARY, 'utf8').trim() : undefined;
}

export function registerTest(program: Command, env: NodeJS.ProcessEnv): void {
  program
    .command('test')
    .description(
      'start the local stack, then check formatting, lint, typecheck, check import cycles and run every test; the ClickHouse tests run on both engines',
    )
    .argument('[filters...]', 'vitest file filters (default: the whole suite)')
    .addOption(
      new Option(
        '--clickhouse <engines>',
        'ClickHouse engines to test: both (the suite on legacy, then its ClickHouse tests on modern), legacy or modern',
      )
        .choices(['both', 'legacy', 'modern'])
        .default('both'),
    )
    .action(async (filters: string[], options: { clickhouse: 'both' | ClickHouseEngine }) => {
      const started = Date.now();
      rmSync(SUMMARY, { force: true });
      const progress = (line: string) => console.error(`  … ${line}`);
      // The suite runs on the engine the environment names (legacy unless KEYWATCH_CLICKHOUSE_ENGINE
      // says otherwise); the matrix adds the other engine for the ClickHouse-touching files.
      const main = resolveStackSettings(
        env,
        repoRoot,
        options.clickhouse === 'both' ? {} : { clickhouse: options.clickhouse },
      );
      const other: ClickHouseEngine = main.clickhouse.engine === 'legacy' ? 'modern' : 'legacy';
      const matrixFiles = options.clickhouse === 'both' ? selectFiles(clickhouseTestFiles(repoRoot), filters) : [];
      console.log('━━ local stack');
      printStatus(await stackUp(main, progress));
      // The second engine starts (installing on first use) while the static checks run; Kafka and
      // Redis already answer, so only its ClickHouse starts.
      const otherSettings = resolveStackSettings(env, repoRoot, { clickhouse: other });
      const otherUp =
        matrixFiles.length > 0
          ? stackUp(otherSettings, progress).then(
              (statuses) => ({ statuses }),
              (error: unknown) => ({ error }),
            )
          : undefined;
      const checks = filters.length > 0 ? true : await step('static checks', 'pnpm', ['run', '--silent', 'check'], env);
      // The Python client of the auth server's verify API has its own stdlib unittest suite.
      const python =
        filters.length > 0
          ? true
          : await step('python client', 'python3', ['-m', 'unittest', 'discover', '-s', 'clients/python'], {
              ...env,
              PYTHONDONTWRITEBYTECODE: '1',
            });
      // Unchanged for the default run (the testkit may still choose containers); pinned to an engine when one is asked for.
      const mainEnv = options.clickhouse === 'both' ? env : { ...env, ...stackEnvironment(main) };
      const tests = await step(
        `tests (ClickHouse ${main.clickhouse.engine})`,
        'pnpm',
        ['exec', 'vitest', 'run', ...filters],
        mainEnv,
      );
      const summaries = [readSummary()];
      let matrix = true;
      if (otherUp) {
        rmSync(SUMMARY, { force: true });
        const up = await otherUp;
        if ('error' in up) {
          console.error(
            `ClickHouse ${other} did not start: ${up.error instanceof Error ? up.error.message : String(up.error)}`,
          );
          matrix = false;
        } else {
          printStatus(up.statuses);
          matrix = await step(
            `ClickHouse tests on ${other} (${matrixFiles.length} files)`,
            'pnpm',
            ['exec', 'vitest', 'run', '--project', 'integration', ...matrixFiles],
            { ...env, ...stackEnvironment(otherSettings) },
          );
          summaries.push(readSummary());
        }
      }
      console.log(
        `\n━━ static checks ${checks ? 'passed' : 'FAILED'}, python client ${python ? 'passed' : 'FAILED'}, tests ${tests ? 'passed' : 'FAILED'}${otherUp ? `, ClickHouse ${other} ${matrix ? 'passed' : 'FAILED'}` : ''} (${((Date.now() - started) / 1000).toFixed(0)} s)`,
      );
      // The runner's plain summary line closes the output, where CI tooling looks for it (both
      // engines' runs added up).
      const total = addSummaries(summaries.filter((line): line is string => line !== undefined));
      if (total) console.log(total);
      process.exitCode = checks && python && tests && matrix ? 0 : 1;
    });
}
