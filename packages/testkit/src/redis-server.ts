/**
 * A PRIVATE redis-server (the shared one on 6379 is never touched): its own port and data
 * directory, restarted on the same port. Durable by default (append-only file fsynced on every
 * write, so what was acknowledged survives a SIGKILL: tests that kill Redis); benchmarks ask for
 * none, so that only the work under test is measured.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './free-port.js';

/** True once `PING` on `port` answers `+PONG`. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let reply = '';
    socket.setTimeout(1_000, () => socket.destroy());
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) socket.end();
    });
    socket.on('error', () => resolve(false));
    socket.on('close', () => resolve(reply.startsWith('+PONG')));
    socket.write('PING\r\n');
  });
}

export interface PrivateRedis {
  url: string;
  port: number;
  /** SIGKILL: no shutdown, no final save. Resolves once the process is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data directory; resolves once it answers PING. */
  start(): Promise<void>;
  /** Stops it (SIGKILL) and deletes its data directory. */
  close(): Promise<void>;
}

/**
 * Starts a private redis-server (`redis-server` on PATH) and waits until it answers. Rejects with
 * an ENOENT error when there is no `redis-server` on the PATH.
 */
export async function startPrivateRedis(options: { durable?: boolean } = {}): Promise<PrivateRedis> {
  const persistence =
    (options.durable ?? true) ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kw-redis-'));
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const start = async () => {
    const proc = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--save',
        '',
        ...persistence,
        '--daemonize',
        'no',
        '--loglevel',
        'warning',
      ],
      { stdio: 'ignore' },
    );
    let failed: Error | undefined;
    proc.once('error', (error) => (failed = error));
    child = proc;
    exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    const deadline = Date.now() + 20_000;
    while (!(await ping(port))) {
      if (failed) throw failed;
      if (proc.exitCode !== null) throw new Error(`redis-server on port ${port} exited with ${proc.exitCode}`);
      if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer within 20 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const kill = async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  await start().catch((error: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill,
    start,
    async close() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
