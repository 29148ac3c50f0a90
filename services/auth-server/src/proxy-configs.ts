/**
 * Reverse-proxy configs in front of the auth server: nginx `auth_request` and Caddy `forward_auth`.
 * The committed examples in docs/gateways/ are these with fixed addresses; the proxy tests, the
 * benchmark and `keywatch demo` run them.
 */

const hostPort = (url: string): string => new URL(url).host;

export interface ProxyConfigOptions {
  /** Port the proxy listens on (127.0.0.1). */
  port: number;
  /** The auth server, e.g. http://127.0.0.1:8089, or several processes of it (nginx balances them). */
  authUrl: string | readonly string[];
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
  const auth = (typeof options.authUrl === 'string' ? [options.authUrl] : options.authUrl).map(hostPort);
  // Each allowed request's final status goes back (UDP, same port number) to the auth server
  // process that answered its auth subrequest and holds its event ($upstream_addr of that call).
  const single = auth.length === 1;
  const reports = auth
    .map(
      (a, i) =>
        `\n      access_log syslog:server=${a},tag=keywatch,nohostname keywatch_status if=${single ? '$kw_report_id' : `$kw_report_${i}`};`,
    )
    .join('');
  const reportMaps = single
    ? ''
    : auth.map((a, i) => `\n  map $kw_auth_addr $kw_report_${i} { "${a}" $kw_report_id; default ""; }`).join('');
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
  # The upstream's status of an allowed request, for its auth event (the auth server holds it until then).
  log_format keywatch_status '$kw_report_id $status $upstream_response_time';${reportMaps}
  upstream keywatch_auth {${auth.map((a) => ` server ${a};`).join('')} keepalive 32; }
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
      proxy_set_header X-Keywatch-Status-Report syslog;
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
      auth_request_set $kw_report_id $upstream_http_x_keywatch_report_id;${single ? '' : '\n      auth_request_set $kw_auth_addr $upstream_addr;'}${reports}
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
  const auth = (typeof options.authUrl === 'string' ? [options.authUrl] : options.authUrl).map(hostPort).join(' ');
  const token = options.token ? `\n\t\theader_up Keywatch-Auth-Token "${options.token}"` : '';
  return `{
\tadmin off
\tauto_https off
}

http://127.0.0.1:${options.port} {
\tforward_auth ${auth} {
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
