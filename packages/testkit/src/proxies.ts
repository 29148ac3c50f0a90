import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { ensureDebianBinary } from './debian.js';

/**
 * Real reverse proxies in front of the auth server, for tests and `keywatch bench verify`:
 * Debian's nginx and Caddy on loopback ports, each with a config the caller renders (the auth
 * server's `nginxConfig` / `caddyfile`; runtime code such as the demo uses those directly).
 */

export const NGINX_PATH = '/usr/sbin/nginx';
export const CADDY_PATH = '/usr/bin/caddy';

/** A proxy process of ours. */
export interface RunningProxy {
  url: string;
  /** What the process wrote (nginx's error log is a file in its directory). */
  output(): string;
  close(): Promise<void>;
}

async function waitForPort(port: number, child: ChildProcess, output: () => string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`proxy exited with ${child.exitCode}:\n${output()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`proxy did not listen on ${port} in ${timeoutMs} ms:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function startProcess(
  command: string,
  args: string[],
  port: number,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunningProxy> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let text = '';
  const keep = (chunk: Buffer) => (text = (text + chunk.toString()).slice(-20_000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  try {
    await waitForPort(port, child, () => text);
  } catch (error) {
    await close();
    throw error;
  }
  return { url: `http://127.0.0.1:${port}`, output: () => text, close };
}

/** Where a proxy runs: its listen port (127.0.0.1), its directory, and the rendered config. */
export interface ProxyProcessOptions {
  port: number;
  /** nginx: pid, logs, temp files and the config; Caddy: its XDG state and the config. */
  dir: string;
  /** The config text, e.g. `nginxConfig(…)` from `@keywatch/auth-server`. */
  config: string;
}

/** Starts nginx in the foreground with `config` in `dir` (installed with apt if missing). */
export async function startNginx(options: ProxyProcessOptions): Promise<RunningProxy> {
  const binary = await ensureDebianBinary(NGINX_PATH, 'nginx');
  mkdirSync(options.dir, { recursive: true });
  const file = path.join(options.dir, 'nginx.conf');
  writeFileSync(file, options.config);
  return startProcess(binary, ['-e', path.join(options.dir, 'error.log'), '-p', options.dir, '-c', file], options.port);
}

/** Starts Caddy with `config` (a Caddyfile) in `dir` (installed with apt if missing). */
export async function startCaddy(options: ProxyProcessOptions): Promise<RunningProxy> {
  const binary = await ensureDebianBinary(CADDY_PATH, 'caddy');
  mkdirSync(options.dir, { recursive: true });
  const file = path.join(options.dir, 'Caddyfile');
  writeFileSync(file, options.config);
  // Caddy keeps state under XDG dirs: the test's own directory, not the machine's.
  const env = {
    ...process.env,
    HOME: options.dir,
    XDG_DATA_HOME: path.join(options.dir, 'data'),
    XDG_CONFIG_HOME: path.join(options.dir, 'config'),
  };
  return startProcess(binary, ['run', '--config', file, '--adapter', 'caddyfile'], options.port, env);
}
