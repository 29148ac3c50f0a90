import {
  clusterDown,
  clusterEnvLines,
  clusterStatus,
  clusterUp,
  parseClickHouseEngine,
  resolveClusterSettings,
  resolveStackSettings,
  stackDown,
  stackEnvironment,
  stackStatus,
  stackUp,
  type ClickHouseEngine,
  type EngineStatus,
  type NodeStatus,
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

/** One line per node of the cluster profile: engine, name, state, role (Redis: master/replica), host:port. */
export function printNodes(statuses: NodeStatus[]): void {
  for (const s of statuses) {
    const owner = s.pid !== undefined ? `pid ${s.pid}, log ${s.logFile}` : '';
    console.log(
      `${s.engine.padEnd(11)} ${s.name.padEnd(20)} ${s.state.padEnd(8)} ${s.role.padEnd(18)} ${s.address.padEnd(24)} ${owner}`,
    );
  }
}

/** `--clickhouse legacy|modern`: which ClickHouse engine (default: KEYWATCH_CLICKHOUSE_ENGINE, else legacy). */
export function clickhouseOption(): Option {
  return new Option(
    '--clickhouse <engine>',
    'ClickHouse engine: legacy (Debian 18.16) or modern (26.x from chDB); default KEYWATCH_CLICKHOUSE_ENGINE, else legacy',
  ).argParser((raw) => parseClickHouseEngine(raw, '--clickhouse'));
}

const profileOption = () =>
  new Option('--profile <profile>', 'single (default) or cluster').choices(['single', 'cluster']).default('single');

interface StackOptions {
  profile: 'single' | 'cluster';
  clickhouse?: ClickHouseEngine;
}

const settingsFor = (env: NodeJS.ProcessEnv, options: StackOptions) =>
  resolveStackSettings(env, repoRoot, { clickhouse: options.clickhouse });

/** The cluster profile's shards are Debian's 18.16 servers (chDB has no Keeper and one process per engine). */
function isCluster(options: StackOptions): boolean {
  if (options.profile !== 'cluster') return false;
  if (options.clickhouse === 'modern')
    throw new Error('--clickhouse modern: the cluster profile runs ClickHouse 18.16 shards only (legacy)');
  return true;
}

export function registerStack(program: Command, env: NodeJS.ProcessEnv): void {
  const stack = program.command('stack').description('the local engines: Kafka (KRaft), ClickHouse, Redis');
  const cluster = () => resolveClusterSettings(env, resolveStackSettings(env, repoRoot));
  stack
    .command('up')
    .description('start what is not answering (installs ClickHouse, fetches Kafka on first use); idempotent')
    .addOption(profileOption())
    .addOption(clickhouseOption())
    .action(async (options: StackOptions) => {
      const started = Date.now();
      if (isCluster(options)) {
        printNodes(await clusterUp(cluster(), progress));
        console.error(`cluster ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        return;
      }
      const statuses = await stackUp(settingsFor(env, options), progress);
      printStatus(statuses);
      console.error(`stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    });
  stack
    .command('down')
    .description('stop only the servers this stack started')
    .addOption(profileOption())
    .addOption(clickhouseOption())
    .action(async (options: StackOptions) =>
      isCluster(options)
        ? printNodes(await clusterDown(cluster(), progress))
        : printStatus(await stackDown(settingsFor(env, options), progress)),
    );
  stack
    .command('status')
    .description('what each engine is, where, and who runs it')
    .addOption(profileOption())
    .addOption(clickhouseOption())
    .action(async (options: StackOptions) => {
      if (isCluster(options)) {
        const nodes = await clusterStatus(cluster());
        printNodes(nodes);
        if (nodes.some((s) => s.state === 'down')) process.exitCode = 3;
        return;
      }
      const statuses = await stackStatus(settingsFor(env, options));
      printStatus(statuses);
      if (statuses.some((s) => s.state === 'down')) process.exitCode = 3;
    });
  stack
    .command('env')
    .description('print export lines: what services, the CLI and tests need to use this stack')
    .addOption(profileOption())
    .addOption(clickhouseOption())
    .action((options: StackOptions) => {
      if (isCluster(options)) {
        for (const line of clusterEnvLines(cluster())) console.log(line);
        return;
      }
      for (const [name, value] of Object.entries(stackEnvironment(settingsFor(env, options)))) {
        console.log(`export ${name}=${value}`);
      }
    });
}
