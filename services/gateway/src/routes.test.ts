import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseConfig } from '@keywatch/config';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ROUTES_FILE, loadRouteTable } from '@keywatch/gateway-sdk';
import { gatewayConfig } from './config.js';

describe('gateway route table file', () => {
  it('ships the docs/contracts.md#reference-gateway routes with their scopes', () => {
    const table = loadRouteTable(DEFAULT_ROUTES_FILE);
    expect(table.match('GET', '/v1/bundles')).toMatchObject({ scope: 'bundles:read', redisFailure: 'open' });
    expect(table.match('GET', '/v1/subscriptions')).toMatchObject({
      scope: 'subscriptions:read',
      redisFailure: 'closed',
    });
    expect(table.match('POST', '/v1/subscriptions')?.scope).toBe('subscriptions:write');
    expect(table.match('GET', '/v1/customers/cus_1')).toMatchObject({
      route: '/v1/customers/:id',
      scope: 'customers:read',
    });
    expect(table.match('POST', '/v1/payments')?.scope).toBe('payments:write');
  });

  it('names what is wrong in a bad file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gw-routes-'));
    const write = (name: string, text: string) => {
      const file = path.join(dir, name);
      writeFileSync(file, text);
      return file;
    };
    expect(() => loadRouteTable(write('a.json', '{'))).toThrow(/a\.json/);
    expect(() =>
      loadRouteTable(write('b.json', JSON.stringify({ routes: [{ method: 'GET', route: '/x', scope: 'root:all' }] }))),
    ).toThrow(/routes\.0\.scope/);
    expect(() =>
      loadRouteTable(
        write('c.json', JSON.stringify({ routes: [{ method: 'GET', route: '/x', scope: null, extra: 1 }] })),
      ),
    ).toThrow(/extra/);
    expect(() =>
      loadRouteTable(
        write(
          'd.json',
          JSON.stringify({
            routes: [
              { method: 'GET', route: '/x/:a', scope: null },
              { method: 'GET', route: '/x/:b', scope: null },
            ],
          }),
        ),
      ),
    ).toThrow(/duplicates/);
    expect(() => loadRouteTable(path.join(dir, 'missing.json'))).toThrow(/missing\.json/);
  });
});

describe('gateway config', () => {
  it('defaults to 127.0.0.1:8088, live, the demo upstream and the shipped routes; needs the fingerprint secret', () => {
    expect(
      parseConfig(gatewayConfig, { KEYWATCH_FINGERPRINT_SECRET: 'x'.repeat(16) }).GATEWAY_UPSTREAM_URL,
    ).toBeUndefined();
    const config = parseConfig(gatewayConfig, { KEYWATCH_FINGERPRINT_SECRET: 'x'.repeat(16) });
    expect(config).toMatchObject({
      GATEWAY_HOST: '127.0.0.1',
      GATEWAY_PORT: 8088,
      GATEWAY_ENVIRONMENT: 'live',
      GATEWAY_ROUTES_FILE: DEFAULT_ROUTES_FILE,
      GATEWAY_TRUST_PROXY: false,
      GATEWAY_REDIS_TIMEOUT: 250,
    });
    expect(() => parseConfig(gatewayConfig, { GATEWAY_ENVIRONMENT: 'prod' })).toThrow(
      /KEYWATCH_FINGERPRINT_SECRET[\s\S]*GATEWAY_ENVIRONMENT|GATEWAY_ENVIRONMENT[\s\S]*KEYWATCH_FINGERPRINT_SECRET/,
    );
  });
});
