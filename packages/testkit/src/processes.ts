/**
 * Services as child processes, the way they run in production (`node <declared flags> --import tsx
 * main.ts`, configured from the environment), so a test can SIGKILL one mid-batch and restart it
 * and a benchmark can measure it apart; and reading a consumer group's lag.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { declaredNodeFlags } from '@keywatch/lifecycle';
import type { Kafka } from 'kafkajs';
import { repoRoot } from './engines.js';
import { freePort } from './free-port.js';

/** A KafkaJS admin client. */
export type Admin = ReturnType<Kafka['admin']>;

/** A running service process; `output` keeps its last 200 stdout/stderr lines for error messages. */
export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  pid: number;
  output: string[];
  /** Resolves with the exit code or signal once the process has ended. */
  exited: Promise<number | NodeJS.Signals | null>;
  /** Sends `signal` (default SIGTERM) unless it has ended; resolves once it has. */
  kill(signal?: NodeJS.Signals): Promise<number | NodeJS.Signals | null>;
  /** SIGTERM (graceful: flush and commit), then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export type ServiceName = 'ingest-worker' | 'detector-worker' | 'gateway' | 'key-service';

/**
 * Starts `services/<service>/src/main.ts` with its declared node flags and `env`, plus PATH and
 * HOME of `environment` (default this process's) and LOG_LEVEL=warn unless `env` sets it.
 */
export function startService(
  service: ServiceName,
  env: Record<string, string>,
  environment: NodeJS.ProcessEnv = process.env,
): ServiceProcess {
  const loader = `file://${path.join(repoRoot, 'node_modules/tsx/dist/loader.mjs')}`;
  const dir = path.join(repoRoot, 'services', service);
  const child = spawn(
    process.execPath,
    [...declaredNodeFlags(dir), '--import', loader, path.join(dir, 'src/main.ts')],
    {
      cwd: repoRoot,
      env: { PATH: environment.PATH ?? '', HOME: environment.HOME ?? os.homedir(), LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  if (child.pid === undefined) throw new Error(`could not start ${service}`);
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (output.length > 200) output.splice(0, output.length - 200);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code)),
  );
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    name: service,
    child,
    pid: child.pid,
    output,
    exited,
    async kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (running()) child.kill(signal);
      return exited;
    },
    async stop(graceMs = 15_000) {
      if (!running()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** VmRSS of `pid` in MB, or NaN when the process is gone (or not on Linux). */
export function rssMb(pid: number): number {
  try {
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? Number.NaN : Number(kb) / 1024;
  } catch {
    return Number.NaN;
  }
}

/** Messages of `topic` not yet committed by `groupId` (a partition never committed counts from its low watermark). */
export async function groupLag(admin: Admin, groupId: string, topic: string): Promise<number> {
  const [ends, committed] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    admin.fetchOffsets({ groupId, topics: [topic] }),
  ]);
  const done = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  let lag = 0;
  for (const p of ends) {
    const at = done.get(p.partition) ?? -1;
    lag += Number(p.high) - (at >= 0 ? at : Number(p.low));
  }
  return lag;
}

export { freePort };
