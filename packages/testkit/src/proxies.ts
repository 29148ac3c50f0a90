import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { ensureDebianBinary } from './debian.js';

/**
 * Real reverse proxies in front of the auth server, for tests and `keywatch bench verify`:
 * Debian's nginx and Caddy, started on loopback ports with generated configs (the committed
 * examples in docs/gateways/ are these configs with fixed addresses).
 */

export const NGINX_PATH = '/usr/sbin/nginx';
export const CADDY_PATH = '/usr/bin/caddy';

const hostPort = (url: string): string => new URL(url).host;

export interface ProxyConfigOptions {
  /** Port the proxy listens on (127.0.0.1). */
  port: number;
  /** The auth server, e.g. http://127.0.0.1:8089. */
  authUrl: string;
  /** Where allowed requests go, e.g. the demo upstream. */
  upstreamUrl: string;
  /** AUTH_SERVER_TOKEN, when the auth server has one. */
  token?: string;
  /** `gateway_id` in this proxy's auth events. */
  gatewayId: string;
  /** Directory for nginx's pid, logs and temp files (nginx only). */
  dir?: string;
  /** A second port on which the same nginx proxies without asking the auth server (the benchmark's baseline). */
  plainPort?: number;
}

/**
 * nginx with `auth_request`: the auth server answers 401/403 only (X-Keywatch-Auth-Mode: nginx);
 * the named location turns X-Keywatch-Status into the client's status (429 with Retry-After) and
 * writes the contract's error body.
 */
export function nginxConfig(options: ProxyConfigOptions): string {
  const dir = options.dir ?? '/var/lib/keywatch-nginx';
  const token = options.token ? `\n      proxy_set_header Keywatch-Auth-Token "${options.token}";` : '';
  return `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  # The default access log writes the request line: a key pasted into a URL would land there.
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream keywatch_auth { server ${hostPort(options.authUrl)}; keepalive 32; }
  upstream app { server ${hostPort(options.upstreamUrl)}; keepalive 32; }
  server {
    listen 127.0.0.1:${options.port};

    location = /_keywatch_auth {
      internal;
      proxy_pass http://keywatch_auth/v1/forward-auth;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Keywatch-Auth-Mode nginx;
      proxy_set_header X-Keywatch-Gateway-Id ${options.gatewayId};
      proxy_set_header X-Forwarded-Method $request_method;
      proxy_set_header X-Original-URI $request_uri;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;${token}
    }

    location / {
      auth_request /_keywatch_auth;
      auth_request_set $kw_status $upstream_http_x_keywatch_status;
      auth_request_set $kw_code $upstream_http_x_keywatch_error;
      auth_request_set $kw_retry_after $upstream_http_retry_after;
      auth_request_set $kw_limit $upstream_http_ratelimit_limit;
      auth_request_set $kw_remaining $upstream_http_ratelimit_remaining;
      auth_request_set $kw_reset $upstream_http_ratelimit_reset;
      auth_request_set $kw_key_id $upstream_http_x_keywatch_key_id;
      auth_request_set $kw_tenant_id $upstream_http_x_keywatch_tenant_id;
      error_page 401 403 = @keywatch_refused;
      add_header RateLimit-Limit $kw_limit always;
      add_header RateLimit-Remaining $kw_remaining always;
      add_header RateLimit-Reset $kw_reset always;
      # The upstream gets the key's id, never the key (as behind the reference gateway).
      proxy_set_header Authorization "";
      proxy_set_header X-Api-Key "";
      proxy_set_header X-Keywatch-Key-Id $kw_key_id;
      proxy_set_header X-Keywatch-Tenant-Id $kw_tenant_id;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_pass http://app;
    }

    # auth_request passes on only 401 and 403; the real status travels in X-Keywatch-Status.
    location @keywatch_refused {
      default_type application/json;
      add_header RateLimit-Limit $kw_limit always;
      add_header RateLimit-Remaining $kw_remaining always;
      add_header RateLimit-Reset $kw_reset always;
      add_header Retry-After $kw_retry_after always;
      if ($kw_status = 429) { return 429 '{"error":{"code":"rate_limited","message":"rate limit exceeded; retry after the Retry-After seconds"}}'; }
      if ($kw_status = 404) { return 404 '{"error":{"code":"not_found","message":"no such route"}}'; }
      if ($kw_status = 400) { return 400 '{"error":{"code":"$kw_code","message":"bad request"}}'; }
      if ($kw_status = 401) { return 401 '{"error":{"code":"$kw_code","message":"the API key was refused"}}'; }
      return 403 '{"error":{"code":"$kw_code","message":"the API key may not make this request"}}';
    }
  }${
    options.plainPort === undefined
      ? ''
      : `
  server {
    listen 127.0.0.1:${options.plainPort};
    location / {
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_pass http://app;
    }
  }`
  }
}
`;
}

/** Caddy with `forward_auth`: refusals (status, headers, body) reach the client unchanged. */
export function caddyfile(options: ProxyConfigOptions): string {
  const token = options.token ? `\n\t\theader_up Keywatch-Auth-Token "${options.token}"` : '';
  return `{
\tadmin off
\tauto_https off
}

http://127.0.0.1:${options.port} {
\tforward_auth ${hostPort(options.authUrl)} {
\t\turi /v1/forward-auth
\t\theader_up X-Keywatch-Gateway-Id ${options.gatewayId}${token}
\t\tcopy_headers X-Keywatch-Key-Id X-Keywatch-Tenant-Id
\t}
\treverse_proxy ${hostPort(options.upstreamUrl)} {
\t\theader_up -Authorization
\t\theader_up -X-Api-Key
\t}
}
`;
}

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

/** Starts nginx in the foreground with {@link nginxConfig} in `dir` (installed with apt if missing). */
export async function startNginx(options: ProxyConfigOptions & { dir: string }): Promise<RunningProxy> {
  const binary = await ensureDebianBinary(NGINX_PATH, 'nginx');
  mkdirSync(options.dir, { recursive: true });
  const file = path.join(options.dir, 'nginx.conf');
  writeFileSync(file, nginxConfig(options));
  return startProcess(binary, ['-e', path.join(options.dir, 'error.log'), '-p', options.dir, '-c', file], options.port);
}

/** Starts Caddy with {@link caddyfile} in `dir` (installed with apt if missing). */
export async function startCaddy(options: ProxyConfigOptions & { dir: string }): Promise<RunningProxy> {
  const binary = await ensureDebianBinary(CADDY_PATH, 'caddy');
  mkdirSync(options.dir, { recursive: true });
  const file = path.join(options.dir, 'Caddyfile');
  writeFileSync(file, caddyfile(options));
  // Caddy keeps state under XDG dirs: the test's own directory, not the machine's.
  const env = {
    ...process.env,
    HOME: options.dir,
    XDG_DATA_HOME: path.join(options.dir, 'data'),
    XDG_CONFIG_HOME: path.join(options.dir, 'config'),
  };
  return startProcess(binary, ['run', '--config', file, '--adapter', 'caddyfile'], options.port, env);
}
