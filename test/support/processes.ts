/**
 * Workers as child processes (the way they run in production: `node main.ts` with the workspace's
 * tsx loader), so a test can SIGKILL one mid-batch and restart it; and small helpers around them.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort } from '@keywatch/testkit/free-port';
import { repoRoot, type KafkaFixture } from '@keywatch/testkit';

/** A KafkaJS admin client (typed through the testkit; kafkajs is not a dependency of the tests). */
export type Admin = ReturnType<KafkaFixture['kafka']['admin']>;


/** A running service process; `output` keeps its last 200 stderr/stdout lines for assertion messages. */
export interface ServiceProcess {
  child: ChildProcess;
  pid: number;
  output: string[];
  /** Resolves with the exit code or signal once the process has ended. */
  exited: Promise<number | NodeJS.Signals | null>;
  kill(signal?: NodeJS.Signals): Promise<number | NodeJS.Signals | null>;
}

/** Starts `services/<service>/src/main.ts` with `env` (added to this process's PATH only). */
export function startService(service: 'ingest-worker' | 'detector-worker' | 'gateway' | 'key-service', env: Record<string, string>): ServiceProcess {
  const loader = `file://${path.join(repoRoot, 'node_modules/tsx/dist/loader.mjs')}`;
  const child = spawn(process.execPath, ['--import', loader, path.join(repoRoot, `services/${service}/src/main.ts`)], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (output.length > 200) output.splice(0, output.length - 200);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  if (child.pid === undefined) throw new Error(`could not start ${service}`);
  return {
    child,
    pid: child.pid,
    output,
    exited,
    async kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Resident set size of a process in MB, from `/proc/<pid>/status` (VmRSS); NaN when it is gone. */
export async function rssMb(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
    return kb === undefined ? Number.NaN : Number(kb) / 1024;
  } catch {
    return Number.NaN;
  }
}

/** Messages of `topic` not yet committed by `groupId` (a partition never committed counts from its low watermark). */
export async function groupLag(admin: Admin, groupId: string, topic: string): Promise<number> {
  const [ends, committed] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
  const done = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  let lag = 0;
  for (const p of ends) {
    const at = done.get(p.partition) ?? -1;
    lag += Number(p.high) - (at >= 0 ? at : Number(p.low));
  }
  return lag;
}

/** Polls `read` every `everyMs` until `done` holds or `timeoutMs` passes; returns the last value. */
export async function pollFor<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, everyMs));
    value = await read();
  }
  return value;
}

export { freePort };
