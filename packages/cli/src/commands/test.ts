import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { resolveStackSettings, stackUp } from '@keywatch/local-stack';
import type { Command } from 'commander';
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

export function registerTest(program: Command, env: NodeJS.ProcessEnv): void {
  program
    .command('test')
    .description(
      'start the local stack, then check formatting, lint, typecheck, check import cycles and run every test',
    )
    .argument('[filters...]', 'vitest file filters (default: the whole suite)')
    .action(async (filters: string[]) => {
      const started = Date.now();
      rmSync(path.join(repoRoot, '.keywatch', 'last-test-summary'), { force: true });
      console.log('━━ local stack');
      printStatus(await stackUp(resolveStackSettings(env, repoRoot), (line) => console.error(`  … ${line}`)));
      const checks = filters.length > 0 ? true : await step('static checks', 'pnpm', ['run', '--silent', 'check'], env);
      // The Python client of the auth server's verify API has its own stdlib unittest suite.
      const python =
        filters.length > 0
          ? true
          : await step('python client', 'python3', ['-m', 'unittest', 'discover', '-s', 'clients/python'], {
              ...env,
              PYTHONDONTWRITEBYTECODE: '1',
            });
      const tests = await step('tests', 'pnpm', ['exec', 'vitest', 'run', ...filters], env);
      console.log(
        `\n━━ static checks ${checks ? 'passed' : 'FAILED'}, python client ${python ? 'passed' : 'FAILED'}, tests ${tests ? 'passed' : 'FAILED'} (${((Date.now() - started) / 1000).toFixed(0)} s)`,
      );
      // The runner's plain summary line closes the output, where CI tooling looks for it.
      const summary = path.join(repoRoot, '.keywatch', 'last-test-summary');
      if (existsSync(summary)) console.log(readFileSync(summary, 'utf8').trim());
      process.exitCode = checks && python && tests ? 0 : 1;
    });
}
