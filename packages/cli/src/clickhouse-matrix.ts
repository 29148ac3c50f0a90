import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

// `keywatch test` runs the ClickHouse-touching integration tests a second time against the other
// ClickHouse engine (the matrix: every such test on each engine once). A test touches ClickHouse
// when its file names it: the testkit's `clickhouse` fixture, a ClickHouse client or URL.

const SKIP = new Set(['node_modules', '.git', '.keywatch', 'dist', 'coverage']);
const TOUCHES_CLICKHOUSE = /clickhouse/i;

function walk(root: string, dir: string, out: string[]): void {
  for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const relative = dir === '' ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory()) walk(root, relative, out);
    else if (entry.name.endsWith('.integration.test.ts')) out.push(relative);
  }
}

/** The integration test files (repo-relative, sorted) that use ClickHouse. */
export function clickhouseTestFiles(repoRoot: string): string[] {
  const files: string[] = [];
  walk(repoRoot, '', files);
  return files.filter((file) => TOUCHES_CLICKHOUSE.test(readFileSync(path.join(repoRoot, file), 'utf8'))).sort();
}

/**
 * The files of `files` a run with vitest's `filters` selects (vitest keeps a file when its path
 * contains any filter); no filters keep them all.
 */
export function selectFiles(files: readonly string[], filters: readonly string[]): string[] {
  if (filters.length === 0) return [...files];
  return files.filter((file) => filters.some((filter) => file.includes(filter.replace(/^\.\//, ''))));
}

/** `vitest: N passed, N failed, N skipped` lines (one per run) added up into one such line. */
export function addSummaries(lines: readonly string[]): string | undefined {
  const totals = { passed: 0, failed: 0, skipped: 0 };
  let seen = false;
  for (const line of lines) {
    const match = /vitest: (\d+) passed, (\d+) failed, (\d+) skipped/.exec(line);
    if (!match) continue;
    seen = true;
    totals.passed += Number(match[1]);
    totals.failed += Number(match[2]);
    totals.skipped += Number(match[3]);
  }
  return seen ? `vitest: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped` : undefined;
}
