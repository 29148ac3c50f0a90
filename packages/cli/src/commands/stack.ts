import {
  clusterDown,
  clusterEnvLines,
  clusterStatus,
  clusterUp,
  resolveClusterSettings,
  resolveStackSettings,
  stackDown,
  stackStatus,
  stackUp,
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

const profileOption = () =>
  new Option('--profile <profile>', 'single (default) or cluster').choices(['single', 'cluster']).default('single');

type Profiled = { profile: 'single' | 'cluster' };

export function registerStack(program: Command, env: NodeJS.ProcessEnv): void {
  const stack = program.command('stack').description('the local engines: Kafka (KRaft), ClickHouse, Redis');
  const cluster = () => resolveClusterSettings(env, resolveStackSettings(env, repoRoot));
  stack
    .command('up')
    .description('start what is not answering (installs ClickHouse, fetches Kafka on first use); idempotent')
    .addOption(profileOption())
    .action(async (options: Profiled) => {
      const started = Date.now();
      if (options.profile === 'cluster') {
        printNodes(await clusterUp(cluster(), progress));
        console.error(`cluster ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        return;
      }
      const statuses = await stackUp(resolveStackSettings(env, repoRoot), progress);
      printStatus(statuses);
      console.error(`stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    });
  stack
    .command('down')
    .description('stop only the servers this stack started')
    .addOption(profileOption())
    .action(async (options: Profiled) =>
      options.profile === 'cluster'
        ? printNodes(await clusterDown(cluster(), progress))
        : printStatus(await stackDown(resolveStackSettings(env, repoRoot), progress)),
    );
  stack
    .command('status')
    .description('what each engine is, where, and who runs it')
    .addOption(profileOption())
    .action(async (options: Profiled) => {
      if (options.profile === 'cluster') {
        const nodes = await clusterStatus(cluster());
        printNodes(nodes);
        if (nodes.some((s) => s.state === 'down')) process.exitCode = 3;
        return;
      }
      const statuses = await stackStatus(resolveStackSettings(env, repoRoot));
      printStatus(statuses);
      if (statuses.some((s) => s.state === 'down')) process.exitCode = 3;
    });
  stack
    .command('env')
    .description('export lines for a shell: what services, the CLI and tests need to use this stack')
    .addOption(profileOption())
    .action((options: Profiled) => {
      if (options.profile === 'cluster') {
        for (const line of clusterEnvLines(cluster())) console.log(line);
        return;
      }
      const s = resolveStackSettings(env, repoRoot);
      console.log(`export KAFKA_BROKERS=${s.kafka.host}:${s.kafka.port}`);
      console.log(`export REDIS_URL=${s.redis.url}`);
      console.log(`export CLICKHOUSE_URL=${s.clickhouse.url}`);
    });
}
