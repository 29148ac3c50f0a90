import { spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { nginxConfig } from '@keywatch/auth-server';
import { demoRoutes, NOT_FOUND } from '@keywatch/gateway';
import Fastify from 'fastify';

/** Where Debian's package puts nginx; the demo uses it only when it is there (it never installs it). */
const NGINX_CANDIDATES = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx'];

/** The nginx binary, or null when nginx is not installed. */
export function findNginx(candidates: readonly string[] = NGINX_CANDIDATES): string | null {
  for (const file of candidates) {
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not there: try the next
    }
  }
  return null;
}

/** The reference gateway's demo routes with no auth of their own: what nginx proxies to once the auth server allowed. */
export async function startDemoUpstream(): Promise<{ url: string; close(): Promise<void> }> {
  const app = Fastify({ logger: false });
  demoRoutes(app);
  app.setNotFoundHandler((_request, reply) => reply.code(404).send(NOT_FOUND));
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { url, close: () => app.close() };
}

export interface DemoNginx {
  url: string;
  pid: number;
  errorLog: string;
  close(): Promise<void>;
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * nginx in the foreground with the auth server's `auth_request` config (docs/gateways/nginx.conf)
 * in `dir`: `port` → auth server → demo upstream. Stopped with SIGTERM (then SIGKILL after 5 s).
 */
export async function startDemoNginx(options: {
  binary: string;
  dir: string;
  port: number;
  authUrl: string;
  upstreamUrl: string;
  gatewayId: string;
}): Promise<DemoNginx> {
  mkdirSync(options.dir, { recursive: true });
  const file = path.join(options.dir, 'nginx.conf');
  const errorLog = path.join(options.dir, 'error.log');
  writeFileSync(file, nginxConfig(options));
  const child = spawn(options.binary, ['-e', errorLog, '-p', options.dir, '-c', file], {
    stdio: 'ignore',
    // Its own process group: Ctrl-C reaches the demo, which stops nginx in order.
    detached: true,
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const spawnFailed = new Promise<Error>((resolve) => child.once('error', resolve));
  const alive = () => child.exitCode === null && child.signalCode === null;
  const close = async () => {
    if (alive()) child.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
    if (alive()) child.kill('SIGKILL');
  };
  const killOnExit = () => {
    if (alive()) child.kill('SIGKILL');
  };
  process.on('exit', killOnExit);
  const errorText = () => {
    try {
      return readFileSync(errorLog, 'utf8').trim().split('\n').slice(-10).join('\n');
    } catch {
      return '(no error log)';
    }
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    const failed = await Promise.race([spawnFailed, new Promise<null>((resolve) => setTimeout(resolve, 50, null))]);
    if (failed) throw new Error(`nginx could not start: ${failed.message}`);
    if (!alive()) throw new Error(`nginx exited during start-up:\n${errorText()}`);
    if (await listening(options.port)) break;
    if (Date.now() > deadline) {
      await close();
      throw new Error(`nginx did not listen on ${options.port} within 10 s:\n${errorText()}`);
    }
  }
  return {
    url: `http://127.0.0.1:${options.port}`,
    pid: child.pid ?? -1,
    errorLog,
    close: async () => {
      await close();
      process.off('exit', killOnExit);
    },
  };
}
