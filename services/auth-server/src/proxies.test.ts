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
});
