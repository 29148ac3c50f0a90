import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { declaredNodeFlags } from '@keywatch/lifecycle';
import type { Command } from 'commander';
import { repoRoot } from '../repo.js';

export const tsxLoader = `file://${path.join(repoRoot, 'node_modules/tsx/dist/loader.mjs')}`;

/**
 * Runs a TypeScript entry point in a child Node process with `nodeFlags` (a service's declared
 * launch flags, see `declaredNodeFlags`), forwarding SIGINT/SIGTERM; resolves with its exit code.
 */
export function runNode(
  entry: string,
  args: string[] = [],
  env: NodeJS.ProcessEnv,
  nodeFlags: readonly string[] = [],
): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--enable-source-maps', ...nodeFlags, '--import', tsxLoader, entry, ...args],
      { stdio: 'inherit', env },
    );
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.once('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve(code ?? (signal === 'SIGTERM' || signal === 'SIGINT' ? 0 : 1));
    });
  });
}

export function services(): string[] {
  const dir = path.join(repoRoot, 'services');
  return readdirSync(dir).filter((name) => existsSync(path.join(dir, name, 'src/main.ts')));
}

export function registerRun(program: Command, env: NodeJS.ProcessEnv): void {
  program
    .command('run')
    .argument('<service>', 'a folder name under services/')
    .description('run one service in the foreground until SIGTERM or Ctrl-C')
    .action(async (service: string) => {
      if (!services().includes(service)) {
        throw new Error(`unknown service "${service}"; known: ${services().join(', ')}`);
      }
      const dir = path.join(repoRoot, 'services', service);
      process.exitCode = await runNode(path.join(dir, 'src/main.ts'), [], env, declaredNodeFlags(dir));
    });
}
