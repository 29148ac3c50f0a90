import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { caddyfile, nginxConfig } from './proxy-configs.js';

const example = (name: string) => readFileSync(new URL(`../../../docs/gateways/${name}`, import.meta.url), 'utf8');
const options = {
  port: 8080,
  authUrl: 'http://127.0.0.1:8089',
  upstreamUrl: 'http://127.0.0.1:3000',
  dir: '/var/lib/keywatch-nginx',
};

describe('committed proxy examples', () => {
  test('docs/gateways/nginx.conf and Caddyfile are the configs the proxy tests run', () => {
    expect(example('nginx.conf')).toBe(nginxConfig({ ...options, gatewayId: 'nginx-edge' }));
    expect(example('Caddyfile')).toBe(caddyfile({ ...options, gatewayId: 'caddy-edge' }));
  });

  test('nginx in front of several auth server processes balances them and sends each status report to the process that answered', () => {
    const config = nginxConfig({
      ...options,
      authUrl: ['http://127.0.0.1:8089', 'http://127.0.0.1:8091'],
      gatewayId: 'nginx-edge',
    });
    expect(config).toContain('upstream keywatch_auth { server 127.0.0.1:8089; server 127.0.0.1:8091; keepalive 32; }');
    expect(config).toContain('auth_request_set $kw_auth_addr $upstream_addr;');
    for (const [i, address] of ['127.0.0.1:8089', '127.0.0.1:8091'].entries()) {
      expect(config).toContain(`map $kw_auth_addr $kw_report_${i} { "${address}" $kw_report_id; default ""; }`);
      expect(config).toContain(
        `access_log syslog:server=${address},tag=keywatch,nohostname keywatch_status if=$kw_report_${i};`,
      );
    }
  });
});
