import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseKey } from '@keywatch/contracts';
import { describe, expect, it } from 'vitest';
import { ensureLocalSecrets } from '../commands/keys.js';
import { metricSum } from './metrics.js';

describe('local secrets for a fresh clone', () => {
  it('generates only what is missing into .env.local (mode 600) and into the environment', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'kw-secrets-')), '.env.local');
    const env: NodeJS.ProcessEnv = { KEYWATCH_FINGERPRINT_SECRET: 'already-set-fingerprint-secret' };
    expect(ensureLocalSecrets(env, file)).toEqual(['KEYWATCH_ROOT_KEY', 'KEYWATCH_SECRETS_KEY']);
    expect(parseKey(env.KEYWATCH_ROOT_KEY!).ok).toBe(true);
    expect(env.KEYWATCH_SECRETS_KEY).toMatch(/^[0-9a-f]{64}$/);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain(`KEYWATCH_ROOT_KEY=${env.KEYWATCH_ROOT_KEY}\n`);
    expect(text).not.toContain('KEYWATCH_FINGERPRINT_SECRET');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // Nothing missing: nothing written.
    expect(ensureLocalSecrets(env, file)).toEqual([]);
    expect(readFileSync(file, 'utf8')).toBe(text);
  });

  it('appends to an existing file without touching its lines', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'kw-secrets-')), '.env.local');
    writeFileSync(file, 'KEYWATCH_ROOT_KEY=kept', { mode: 0o600 });
    const env: NodeJS.ProcessEnv = { KEYWATCH_ROOT_KEY: 'kept' };
    expect(ensureLocalSecrets(env, file)).toEqual(['KEYWATCH_FINGERPRINT_SECRET', 'KEYWATCH_SECRETS_KEY']);
    expect(readFileSync(file, 'utf8').split('\n')[0]).toBe('KEYWATCH_ROOT_KEY=kept');
  });
});

describe('Prometheus counters for the live progress', () => {
  const text = [
    '# HELP keywatch_detector_events_total events',
    '# TYPE keywatch_detector_events_total counter',
    'keywatch_detector_events_total{result="processed"} 120',
    'keywatch_detector_events_total{result="late"} 3',
    'keywatch_detector_events_total_extra 99',
    'keywatch_ingest_rows_written_total 4500',
    'keywatch_ingest_consumer_lag{partition="0"} 2',
    'keywatch_ingest_consumer_lag{partition="1"} 5',
  ].join('\n');
  it('sums the series of a name, optionally by label', () => {
    expect(metricSum(text, 'keywatch_detector_events_total', { result: 'processed' })).toBe(120);
    expect(metricSum(text, 'keywatch_detector_events_total')).toBe(123);
    expect(metricSum(text, 'keywatch_ingest_rows_written_total')).toBe(4500);
    expect(metricSum(text, 'keywatch_ingest_consumer_lag')).toBe(7);
    expect(metricSum(text, 'keywatch_missing')).toBe(0);
  });
});
