import { describe, expect, it } from 'vitest';
import { webhookRows } from './webhooks.js';

describe('webhooks list rows', () => {
  it('show what a platform destination receives instead of a tenant', () => {
    const base = { kind: 'json', min_severity: 'low', types: [], url: 'https://93.184.216.34/' };
    const rows = webhookRows({
      webhooks: [
        { ...base, id: 'wh_a', tenant_id: 't1' },
        { ...base, id: 'wh_b', tenant_id: null, all_tenants: true },
        { ...base, id: 'wh_c', tenant_id: null, all_tenants: false },
      ],
    });
    expect(rows.map((r) => r.tenant_id)).toEqual(['t1', '(platform: all alerts)', '(platform: tenantless alerts)']);
  });
});
