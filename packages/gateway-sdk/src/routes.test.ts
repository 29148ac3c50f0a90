import { describe, expect, it } from 'vitest';
import { createRouteTable } from './routes.js';

const table = createRouteTable([
  { method: 'GET', route: '/v1/customers/:id', scope: 'customers:read' },
  { method: 'GET', route: '/v1/customers/search', scope: 'analytics:read' },
  { method: 'GET', route: '/v1/bundles', scope: 'bundles:read', redisFailure: 'open' },
  { method: 'POST', route: '/v1/payments', scope: 'payments:write' },
]);

describe('route table', () => {
  it('matches method and template, static segments before parameters, ignoring the query', () => {
    expect(table.match('GET', '/v1/customers/cus_1?expand=all')).toEqual({
      route: '/v1/customers/:id',
      scope: 'customers:read',
      redisFailure: 'closed',
    });
    expect(table.match('GET', '/v1/customers/search')?.scope).toBe('analytics:read');
    expect(table.match('GET', '/v1/bundles')?.redisFailure).toBe('open');
    expect(table.match('HEAD', '/v1/bundles')?.route).toBe('/v1/bundles');
    expect(table.match('GET', '/v1/payments')).toBeNull();
    expect(table.match('POST', '/v1/payments')?.scope).toBe('payments:write');
  });

  it('matches nothing for paths an upstream could resolve differently', () => {
    for (const path of [
      '/v1/customers/',
      '/v1/customers/a/b',
      '/v1/customers/..',
      '/v1/customers/%2e%2e',
      '/v1/customers/a%2Fb',
      '/v1/customers/a\\b',
      '//v1/bundles',
      '/v1/bundles/',
      'v1/bundles',
    ]) {
      expect(table.match('GET', path), path).toBeNull();
    }
  });

  it('refuses bad rules by name', () => {
    expect(() => createRouteTable([{ method: 'get', route: '/x', scope: null }])).toThrow(/method/);
    expect(() => createRouteTable([{ method: 'GET', route: 'x', scope: null }])).toThrow(/route/);
    expect(() => createRouteTable([{ method: 'GET', route: '/x', scope: 'root:all' as never }])).toThrow(/scope/);
    expect(() =>
      createRouteTable([
        { method: 'GET', route: '/x/:a', scope: null },
        { method: 'GET', route: '/x/:b', scope: null },
      ]),
    ).toThrow(/duplicates/);
  });
});
