import { resolveStackSettings, stackDown, stackStatus, stackUp, type EngineStatus } from '@keywatch/local-stack';
import type { Command } from 'commander';
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

export function registerStack(program: Command, env: NodeJS.ProcessEnv): void {
  const stack = program.command('stack').description('the local engines: Kafka (KRaft), ClickHouse, Redis');
  stack
    .command('up')
    .description('start what is not answering (installs ClickHouse, fetches Kafka on first use); idempotent')
    .action(async () => {
      const started = Date.now();
      const statuses = await stackUp(resolveStackSettings(env, repoRoot), progress);
      printStatus(statuses);
      console.error(`stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    });
  stack
    .command('down')
    .description('stop only the servers this stack started')
    .action(async () => printStatus(await stackDown(resolveStackSettings(env, repoRoot), progress)));
  stack
    .command('status')
    .description('what each engine is, where, and who runs it')
    .action(async () => {
      const statuses = await stackStatus(resolveStackSettings(env, repoRoot));
      printStatus(statuses);
      if (statuses.some((s) => s.state === 'down')) process.exitCode = 3;
    });
}
