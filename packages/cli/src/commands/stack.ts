import {
  parseClickHouseEngine,
  resolveStackSettings,
  stackDown,
  stackEnvironment,
  stackStatus,
  stackUp,
  type ClickHouseEngine,
  type EngineStatus,
} from '@keywatch/local-stack';
import { Option, type Command } from 'commander';
import { repoRoot } from '../repo.js';

const progress = (line: string) => console.error(`  … ${line}`);

export function printStatus(statuses: EngineStatus[]): void {
  for (const s of statuses) {
    const owner =
      s.pid !== undefined
        ? `pid ${s.pid}, log ${s.logFile}`
        : s.state === 'external'
          ? 'not started by this stack'
          : '';
    console.log(`${s.name.padEnd(11)} ${s.state.padEnd(8)} ${s.address.padEnd(24)} ${owner}`);
  }
}

/** `--clickhouse legacy|modern`: which ClickHouse engine (default: KEYWATCH_CLICKHOUSE_ENGINE, else legacy). */
export function clickhouseOption(): Option {
  return new Option(
    '--clickhouse <engine>',
    'ClickHouse engine: legacy (Debian 18.16) or modern (26.x from chDB); default KEYWATCH_CLICKHOUSE_ENGINE, else legacy',
  ).argParser((raw) => parseClickHouseEngine(raw, '--clickhouse'));
}

const settingsFor = (env: NodeJS.ProcessEnv, options: { clickhouse?: ClickHouseEngine }) =>
  resolveStackSettings(env, repoRoot, options);

export function registerStack(program: Command, env: NodeJS.ProcessEnv): void {
  const stack = program.command('stack').description('the local engines: Kafka (KRaft), ClickHouse, Redis');
  stack
    .command('up')
    .description('start what is not answering (installs ClickHouse, fetches Kafka on first use); idempotent')
    .addOption(clickhouseOption())
    .action(async (options: { clickhouse?: ClickHouseEngine }) => {
      const started = Date.now();
      const statuses = await stackUp(settingsFor(env, options), progress);
      printStatus(statuses);
      console.error(`stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    });
  stack
    .command('down')
    .description('stop only the servers this stack started')
    .addOption(clickhouseOption())
    .action(async (options: { clickhouse?: ClickHouseEngine }) =>
      printStatus(await stackDown(settingsFor(env, options), progress)),
    );
  stack
    .command('status')
    .description('what each engine is, where, and who runs it')
    .addOption(clickhouseOption())
    .action(async (options: { clickhouse?: ClickHouseEngine }) => {
      const statuses = await stackStatus(settingsFor(env, options));
      printStatus(statuses);
      if (statuses.some((s) => s.state === 'down')) process.exitCode = 3;
    });
  stack
    .command('env')
    .description('print export lines: what services, the CLI and tests need to use this stack')
    .addOption(clickhouseOption())
    .action((options: { clickhouse?: ClickHouseEngine }) => {
      for (const [name, value] of Object.entries(stackEnvironment(settingsFor(env, options)))) {
        console.log(`export ${name}=${value}`);
      }
    });
}
