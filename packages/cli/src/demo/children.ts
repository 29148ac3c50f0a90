import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { declaredNodeFlags } from '@keywatch/lifecycle';
import { repoRoot } from '../repo.js';
import { tsxLoader } from '../commands/run.js';

/** One service the demo runs as a child process, its output in a log file. */
export interface ChildService {
  name: string;
  pid: number;
  log: string;
  /** Exit code (or signal name) once it has exited. */
  exit: Promise<number | string | null>;
  exited: boolean;
}

/** Whether `services/<name>/src/main.ts` exists (the notifier and the console may not, yet). */
export const hasService = (name: string) => existsSync(path.join(repoRoot, 'services', name, 'src/main.ts'));

/** `preferred` when nothing listens on it at 127.0.0.1, else a free port the system picks. */
export async function freePort(preferred: number): Promise<number> {
  const tryListen = (port: number) =>
    new Promise<number | null>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(null));
      server.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
        const address = server.address();
        const bound = typeof address === 'object' && address ? address.port : null;
        server.close(() => resolve(bound));
      });
    });
  return (await tryListen(preferred)) ?? (await tryListen(0)) ?? preferred;
}

/** The last `lines` lines of a log file (for an error message about a child that died). */
export function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Starts services as child processes (`node --import tsx services/<name>/src/main.ts`, i.e. what
 * `keywatch run <name>` runs), each in its own process group with stdout and stderr in
 * `<logDir>/<name>.log`, so the terminal shows only the demo. {@link stopAll} stops them in reverse
 * start order: SIGTERM, then SIGKILL after the timeout. If the demo itself dies, whatever is still
 * running is killed on its way out.
 */
export class Supervisor {
  private readonly children: Array<ChildService & { process: ChildProcess }> = [];
  private readonly onExit = () => this.killAll();

  constructor(
    readonly logDir: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {
    mkdirSync(logDir, { recursive: true });
    process.on('exit', this.onExit);
  }

  start(name: string, env: NodeJS.ProcessEnv = {}): ChildService {
    const log = path.join(this.logDir, `${name}.log`);
    const fd = openSync(log, 'w');
    const dir = path.join(repoRoot, 'services', name);
    const child = spawn(
      process.execPath,
      ['--enable-source-maps', ...declaredNodeFlags(dir), '--import', tsxLoader, path.join(dir, 'src/main.ts')],
      {
        cwd: repoRoot,
        env: { ...this.env, ...env },
        stdio: ['ignore', fd, fd],
        // Its own process group: Ctrl-C reaches the demo only, which then stops the services in order.
        detached: true,
      },
    );
    closeSync(fd);
    const entry = {
      name,
      pid: child.pid ?? -1,
      log,
      exited: false,
      process: child,
      exit: new Promise<number | string | null>((resolve) => {
        child.once('exit', (code, signal) => {
          entry.exited = true;
          resolve(code ?? signal);
        });
        child.once('error', () => {
          entry.exited = true;
          resolve('spawn failed');
        });
      }),
    };
    this.children.push(entry);
    return entry;
  }

  /** Polls `url` until it answers 2xx; throws (with the log's tail) when the child exits, `timeoutMs` passes or `signal` aborts. */
  async waitHealthy(child: ChildService, url: string, timeoutMs: number, signal?: AbortSignal): Promise<number> {
    const started = Date.now();
    while (Date.now() - started < timeoutMs) {
      if (signal?.aborted) throw new Error('interrupted');
      if (child.exited)
        throw new Error(
          `${child.name} exited during start-up (exit ${String(await child.exit)}); last lines of ${child.log}:\n${tail(child.log)}`,
        );
      const ok = await fetch(url, { signal: AbortSignal.timeout(1000) }).then(
        (response) => response.ok,
        () => false,
      );
      if (ok) return Date.now() - started;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(
      `${child.name} did not answer ${url} within ${timeoutMs / 1000} s; last lines of ${child.log}:\n${tail(child.log)}`,
    );
  }

  /** Every child that is still running. */
  running(): ChildService[] {
    return this.children.filter((c) => !c.exited);
  }

  /** Stops the children in reverse start order: SIGTERM, wait up to `timeoutMs`, then SIGKILL. */
  async stopAll(timeoutMs: number, report: (line: string) => void): Promise<void> {
    for (const child of [...this.children].reverse()) {
      if (child.exited) {
        report(`${child.name.padEnd(16)} had exited (${String(await child.exit)})`);
        continue;
      }
      const started = Date.now();
      child.process.kill('SIGTERM');
      const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), timeoutMs).unref());
      if ((await Promise.race([child.exit, timer])) === 'timeout') {
        child.process.kill('SIGKILL');
        await child.exit;
        report(`${child.name.padEnd(16)} killed (SIGKILL) after ${timeoutMs / 1000} s without exiting on SIGTERM`);
      } else {
        report(`${child.name.padEnd(16)} stopped in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      }
    }
    process.off('exit', this.onExit);
  }

  /** Last resort (the demo is exiting): SIGKILL to whatever still runs. */
  killAll(): void {
    for (const child of this.children) if (!child.exited) child.process.kill('SIGKILL');
  }
}
