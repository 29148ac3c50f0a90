import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** A server process the stack started: its pid file records the pid and a marker proving ownership. */
export interface ManagedProcess {
  name: string;
  pidFile: string;
  logFile: string;
}

export function managed(stackDir: string, name: string): ManagedProcess {
  return {
    name,
    pidFile: path.join(stackDir, 'run', `${name}.pid`),
    logFile: path.join(stackDir, 'logs', `${name}.log`),
  };
}

function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return undefined;
  }
}

/**
 * The pid of the process this stack started, if it is still alive. A pid file whose process is
 * gone, or whose pid now belongs to another program, counts as not running (pids are reused).
 */
export function runningPid(proc: ManagedProcess): number | undefined {
  if (!existsSync(proc.pidFile)) return undefined;
  const [pidText, marker] = readFileSync(proc.pidFile, 'utf8').split('\n');
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  const cmd = commandLine(pid);
  return cmd !== undefined && marker !== undefined && cmd.includes(marker) ? pid : undefined;
}

/** Starts `command` detached (it outlives the CLI), output appended to the process's log file. */
export function startDetached(
  proc: ManagedProcess,
  command: string,
  args: string[],
  marker: string,
  env?: NodeJS.ProcessEnv,
): number {
  mkdirSync(path.dirname(proc.pidFile), { recursive: true });
  mkdirSync(path.dirname(proc.logFile), { recursive: true });
  const fd = openSync(proc.logFile, 'a');
  try {
    const child = spawn(command, args, { detached: true, stdio: ['ignore', fd, fd], env: env ?? process.env });
    if (child.pid === undefined) throw new Error(`could not start ${proc.name} (${command})`);
    child.unref();
    writeFileSync(proc.pidFile, `${child.pid}\n${marker}\n`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; removes the pid file. Returns false if it was not running. */
export async function stopProcess(proc: ManagedProcess, graceMs = 20_000): Promise<boolean> {
  const pid = runningPid(proc);
  rmSync(proc.pidFile, { force: true });
  if (pid === undefined) return false;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (commandLine(pid) === undefined) return true;
    await sleep(100);
  }
  process.kill(pid, 'SIGKILL');
  return true;
}

export function tcpOpen(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Polls `check` until it returns true or `timeoutMs` passes; the error names what was awaited. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  logFile?: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(150);
  }
  throw new Error(`${what} did not become healthy within ${timeoutMs / 1000} s${logFile ? `; see ${logFile}` : ''}`);
}
