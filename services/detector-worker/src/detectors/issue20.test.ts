import { describe, expect, test } from 'vitest';
import type { FeedbackStore, Suppression } from '@keywatch/alerts';
import { createFeedbackView } from '../feedback.js';
import { DAY, HOUR } from '../params.js';
import { eventAt, IPS, memoryDetector } from '../testing.js';
import { loadThreatLists, parseThreatList } from '../threat-lists.js';
import { userAgentFamily } from './unfamiliar-client.js';

const T = Date.parse('2026-03-02T09:00:00.000Z');
const KEY = { key_id: 'key_unit_issue20_000000', tenant_id: 'tenant_unit', key_type: 'secret' } as const;
const days = (n: number, extra: Record<string, unknown> = {}) =>
  Array.from({ length: n * 4 }, (_, i) =>
    eventAt(T + Math.floor(i / 4) * DAY + (i % 4) * HOUR, { ...KEY, ip: IPS.berlin, ...extra }),
  );

describe('userAgentFamily', () => {
  test('names the kind of client, not its version', () => {
    expect(userAgentFamily('curl/8.5.0')).toBe('curl');
    expect(userAgentFamily('python-requests/2.31.0')).toBe('python-requests');
    expect(userAgentFamily('acme-billing/2.3.1 node/20')).toBe(userAgentFamily('acme-billing/2.4.0 node/22'));
    expect(userAgentFamily('Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0')).toBe(
      'browser:gecko',
    );
    expect(
      userAgentFamily(
        'Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
      ),
    ).toBe('browser:chromium');
    expect(
      userAgentFamily('Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15'),
    ).toBe('browser:webkit');
    expect(userAgentFamily(null)).toBe('none');
  });
});

describe('unfamiliar_client', () => {
  test('a learnt secret key used by a new kind of client raises it once; versions and learning-period clients do not', async () => {
    const d = memoryDetector();
    await d.feed(
      [
        ...days(8, { user_agent: 'python-requests/2.31.0' }),
        eventAt(T + DAY + 5 * HOUR, { ...KEY, ip: IPS.berlin, user_agent: 'curl/8.0.0' }),
        eventAt(T + 8 * DAY, { ...KEY, ip: IPS.berlin, user_agent: 'python-requests/2.32.0' }),
        eventAt(T + 8 * DAY + HOUR, { ...KEY, ip: IPS.berlin, user_agent: 'curl/8.5.0' }),
        eventAt(T + 8 * DAY + 2 * HOUR, { ...KEY, ip: IPS.berlin, user_agent: 'Go-http-client/2.0' }),
        eventAt(T + 8 * DAY + 3 * HOUR, { ...KEY, ip: IPS.berlin, user_agent: 'Go-http-client/1.1' }),
      ].sort((a, b) => a.ts.localeCompare(b.ts)),
    );
    const found = d.ofType('unfamiliar_client');
    expect(found.map((a) => [a.severity, a.evidence.family])).toEqual([['medium', 'go-http-client']]);
  });

  test('publishable keys and refused requests are not judged', async () => {
    const d = memoryDetector();
    await d.feed([
      ...days(8, { key_type: 'publishable', user_agent: 'python-requests/2.31.0' }),
      eventAt(T + 8 * DAY, { ...KEY, key_type: 'publishable', ip: IPS.berlin, user_agent: 'curl/8.5.0' }),
    ]);
    expect(d.ofType('unfamiliar_client')).toEqual([]);
  });
});

describe('threat lists', () => {
  test('a listed network raises threat_list_ip: high on success, medium refused; the address next door is quiet', async () => {
    const entries = parseThreatList('abuse', '# comment\n45.155.205.0/24\n\n2a0b:7280:100::/48 # v6\n');
    expect(entries.map((e) => e.label)).toEqual([
      { list: 'abuse', entry: '45.155.205.0/24' },
      { list: 'abuse', entry: '2a0b:7280:100::/48' },
    ]);
    expect(() => parseThreatList('bad', '10.0.0.0/8\nnot-an-ip\n')).toThrow(/bad, line 2/);
    const d = memoryDetector({
      threats: {
        match: (ip) => (ip.startsWith('45.155.205.') ? { list: 'abuse', entry: '45.155.205.0/24' } : undefined),
      },
    });
    await d.feed([
      eventAt(T, { ...KEY, ip: '45.155.205.9' }),
      eventAt(T + HOUR, { key_id: null, tenant_id: null, ip: '45.155.205.10', outcome: 'unknown_key' }),
      eventAt(T + 2 * HOUR, { ...KEY, ip: '45.155.206.9' }),
    ]);
    expect(d.ofType('threat_list_ip').map((a) => [a.ip, a.severity])).toEqual([
      ['45.155.205.9', 'high'],
      ['45.155.205.10', 'medium'],
    ]);
    expect(loadThreatLists([]).size).toBe(0);
  });
});

describe('learning period in time', () => {
  test('geo_new_country waits for 7 days of history however busy the key', async () => {
    const d = memoryDetector();
    const busy = Array.from({ length: 200 }, (_, i) => eventAt(T + i * 60_000, { ...KEY, ip: IPS.berlin }));
    await d.feed([...busy, eventAt(T + 2 * DAY, { ...KEY, ip: IPS.singapore })]);
    expect(d.ofType('geo_new_country')).toEqual([]);
    await d.feed([eventAt(T + 8 * DAY, { ...KEY, ip: IPS.saoPaulo })]);
    expect(d.ofType('geo_new_country').map((a) => a.evidence.country)).toEqual(['BR']);
  });
});

describe('feedback', () => {
  const rule = (over: Partial<Suppression>): Suppression => ({
    id: 'sup_x',
    tenant_id: KEY.tenant_id,
    type: null,
    key_id: null,
    cidr: null,
    expires_at: new Date(Date.now() + 60_000).toISOString(),
    reason: 'test',
    created_by: 'root',
    created_at: new Date().toISOString(),
    alert_id: null,
    ...over,
  });
  const store = (suppressions: Suppression[], cidrs: string[] = []): Pick<FeedbackStore, 'version' | 'loadAll'> => ({
    version: () => Promise.resolve(1),
    loadAll: () =>
      Promise.resolve({
        suppressions,
        trusted: cidrs.length ? [{ tenant_id: KEY.tenant_id, cidrs, updated_at: null, updated_by: null }] : [],
        threats: [],
      }),
  });

  test('a rule silences what it names only, until it expires', async () => {
    const view = createFeedbackView({
      store: store([
        rule({ type: 'usage_spike', key_id: KEY.key_id }),
        rule({ id: 'sup_ip', cidr: '203.0.113.0/24', expires_at: new Date(Date.now() - 1).toISOString() }),
      ]),
    });
    await view.refresh();
    const signal = { type: 'usage_spike' as const, tenantId: KEY.tenant_id, keyId: KEY.key_id, ip: '203.0.113.9' };
    expect(view.suppressedBy(signal, Date.now())?.id).toBe('sup_x');
    expect(view.suppressedBy({ ...signal, keyId: 'key_other' }, Date.now())).toBeUndefined();
    expect(view.suppressedBy({ ...signal, type: 'geo_new_country' }, Date.now())).toBeUndefined();
    expect(view.suppressedBy({ ...signal, tenantId: 'tenant_other' }, Date.now())).toBeUndefined();
    expect(view.suppressedBy(signal, Date.now() + 120_000)).toBeUndefined();
  });

  test('a trusted network exempts the geography detectors for that tenant only', async () => {
    const feedback = createFeedbackView({
      store: store([], [`${IPS.singapore.split('.').slice(0, 3).join('.')}.0/24`]),
    });
    const d = memoryDetector({ feedback });
    const other = { ...KEY, key_id: 'key_unit_issue20_other0', tenant_id: 'tenant_other' };
    await d.feed([
      ...days(8),
      ...Array.from({ length: 32 }, (_, i) =>
        eventAt(T + Math.floor(i / 4) * DAY + (i % 4) * HOUR, { ...other, ip: IPS.berlin }),
      ),
      eventAt(T + 8 * DAY + 5 * HOUR, { ...KEY, ip: IPS.singapore }),
      eventAt(T + 8 * DAY + 5 * HOUR, { ...other, ip: IPS.singapore }),
    ]);
    expect(d.ofType('geo_new_country').map((a) => a.key_id)).toEqual([other.key_id]);
  });
});
