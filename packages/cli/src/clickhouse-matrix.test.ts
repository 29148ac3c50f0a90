import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { addSummaries, clickhouseTestFiles, selectFiles } from './clickhouse-matrix.js';
import { repoRoot } from './repo.js';

describe('the ClickHouse test matrix', () => {
  it('finds the integration tests that use ClickHouse, and only those', () => {
    const files = clickhouseTestFiles(repoRoot);
    expect(files).toContain('packages/clickhouse/src/migrations.integration.test.ts');
    expect(files).toContain('services/ingest-worker/src/ingest.integration.test.ts');
    expect(files).toContain('bench/src/ingest/kafka-engine.integration.test.ts');
    // Redis only.
    expect(existsSync(path.join(repoRoot, 'packages/ratelimit/src/limiter.integration.test.ts'))).toBe(true);
    expect(files).not.toContain('packages/ratelimit/src/limiter.integration.test.ts');
    expect(files.every((f) => f.endsWith('.integration.test.ts') && !f.includes('node_modules'))).toBe(true);
  });

  it('narrows to what vitest filters select', () => {
    const files = ['packages/clickhouse/src/a.integration.test.ts', 'services/ingest-worker/src/b.integration.test.ts'];
    expect(selectFiles(files, [])).toEqual(files);
    expect(selectFiles(files, ['./packages/clickhouse'])).toEqual([files[0]]);
    expect(selectFiles(files, ['gateway'])).toEqual([]);
  });

  it('adds up the runs’ summary lines', () => {
    expect(addSummaries(['vitest: 10 passed, 1 failed, 0 skipped', 'vitest: 5 passed, 0 failed, 2 skipped'])).toBe(
      'vitest: 15 passed, 1 failed, 2 skipped',
    );
    expect(addSummaries([])).toBeUndefined();
  });
});
