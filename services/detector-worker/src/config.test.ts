import { ConfigError, parseConfig } from '@keywatch/config';
import { expect, test } from 'vitest';
import { detectorConfig } from './config.js';
import { createParamsResolver } from './params.js';

test('defaults, and detector settings from JSON, globally and per tenant', () => {
  const config = parseConfig(detectorConfig, {
    DETECTOR_SETTINGS: '{"credential_stuffing":{"medium_distinct":20}}',
    DETECTOR_TENANT_SETTINGS: '{"tenant_a":{"usage_spike":{"enabled":false}}}',
  });
  expect(config.DETECTOR_LATENESS).toBe(60_000);
  expect(config.DETECTOR_GROUP_ID).toBe('keywatch-detector');
  const params = createParamsResolver(config.DETECTOR_SETTINGS, config.DETECTOR_TENANT_SETTINGS);
  expect(params(null).credential_stuffing.medium_distinct).toBe(20);
  expect(params(null).credential_stuffing.high_distinct).toBe(15);
  expect(params('tenant_a').usage_spike.enabled).toBe(false);
  expect(params('tenant_a').credential_stuffing.medium_distinct).toBe(20);
  expect(params('tenant_b').usage_spike.enabled).toBe(true);
});

test('bad settings are refused with the variable and the field named', () => {
  const run = () =>
    parseConfig(detectorConfig, {
      DETECTOR_SETTINGS: '{"usage_spike":{"zz":1}}',
      DETECTOR_LATENESS: 'soon',
      DETECTOR_TENANT_SETTINGS: '{',
    });
  expect(run).toThrow(ConfigError);
  try {
    run();
  } catch (error) {
    const issues = (error as ConfigError).issues.map((i) => i.variable).sort();
    expect(issues).toEqual(['DETECTOR_LATENESS', 'DETECTOR_SETTINGS', 'DETECTOR_TENANT_SETTINGS']);
    expect((error as ConfigError).message).toContain('usage_spike: unknown zz');
  }
});
