import type { Alert } from '@keywatch/contracts';
import { describe, expect, it } from 'vitest';
import { formatAlert, parseSeverityFilter, useColor } from './alerts-format.js';

const alert: Alert = {
  v: 1,
  alert_id: 'alr_0123456789abcdef0123456789',
  type: 'credential_stuffing',
  severity: 'high',
  tenant_id: 'tenant_a',
  key_id: null,
  ip: '203.0.113.9',
  window_start: '2026-11-20T10:00:00.000Z',
  window_end: '2026-11-20T10:04:59.000Z',
  detected_at: '2026-11-20T10:05:01.250Z',
  summary: '31 distinct invalid credentials from 203.0.113.9 in 5 min',
  evidence: { distinct_credentials: 31, attempts: 40 },
  dedup_key: 'credential_stuffing|203.0.113.9',
  action: 'none',
};

describe('alert lines', () => {
  it('show time, severity, type, tenant, key, ip and summary on one plain line without colour', () => {
    const line = formatAlert(alert, { color: false });
    expect(line).toBe(
      '10:05:01 HIGH     credential_stuffing    tenant=tenant_a key=- ip=203.0.113.9  31 distinct invalid credentials from 203.0.113.9 in 5 min',
    );
    expect(line).not.toContain('\u001b');
  });

  it('colour the severity (and only with colour on)', () => {
    const critical = formatAlert(
      { ...alert, severity: 'critical', key_id: 'key_abcdefghijklmnopqrst', action: 'revoke_requested' },
      { color: true },
    );
    expect(critical).toContain('\u001b[1m\u001b[97;41mCRITICAL');
    expect(critical).toContain('key=key_abcdefghijklmnopqrst');
    expect(critical).toContain('[revoke_requested]');
    expect(formatAlert({ ...alert, severity: 'low' }, { color: true })).toContain('\u001b[36mLOW');
    expect(formatAlert({ ...alert, severity: 'medium' }, { color: true })).toContain('\u001b[33mMEDIUM');
  });

  it('mark repeats as updates and print evidence indented on request', () => {
    const text = formatAlert(alert, { color: false, update: true, evidence: true });
    const [first, ...rest] = text.split('\n');
    expect(first).toContain('HIGH     updated credential_stuffing');
    expect(rest).toEqual(['    {', '      "distinct_credentials": 31,', '      "attempts": 40', '    }']);
  });
});

describe('colour choice', () => {
  it('colours a terminal unless NO_COLOR is set; never a pipe unless forced', () => {
    expect(useColor({ isTTY: true }, {})).toBe(true);
    expect(useColor({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(useColor({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
    expect(useColor({ isTTY: false }, {})).toBe(false);
    expect(useColor({}, {})).toBe(false);
    expect(useColor({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(useColor({ isTTY: true }, { NO_COLOR: '1', FORCE_COLOR: '1' })).toBe(false);
  });
});

describe('--severity', () => {
  const keep = (spec: string) => ['low', 'medium', 'high', 'critical'].filter(parseSeverityFilter(spec));
  it('takes bounds, exact names and lists', () => {
    expect(keep('>=high')).toEqual(['high', 'critical']);
    expect(keep('>medium')).toEqual(['high', 'critical']);
    expect(keep('<=medium')).toEqual(['low', 'medium']);
    expect(keep('<high')).toEqual(['low', 'medium']);
    expect(keep('critical')).toEqual(['critical']);
    expect(keep('low, critical')).toEqual(['low', 'critical']);
  });
  it('names what it does not understand', () => {
    expect(() => parseSeverityFilter('>=urgent')).toThrow(/"urgent" is not a severity/);
    expect(() => parseSeverityFilter('high,bad')).toThrow(/"bad"/);
    expect(() => parseSeverityFilter('')).toThrow(/--severity/);
  });
});
