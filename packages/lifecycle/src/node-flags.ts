import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The Node flags a service declares for its launch: `keywatch.nodeFlags` in
 * `<serviceDir>/package.json` (e.g. the ingest worker's `--max-semi-space-size=8`). Launchers
 * (`keywatch run`, `keywatch demo`, the benchmarks) pass them before the entry point: flags such as
 * the young generation's size cannot be set from inside a running process.
 */
export function declaredNodeFlags(serviceDir: string | URL): string[] {
  const dir = serviceDir instanceof URL ? fileURLToPath(serviceDir) : serviceDir;
  const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
    keywatch?: { nodeFlags?: unknown };
  };
  const flags = manifest.keywatch?.nodeFlags;
  return Array.isArray(flags) ? flags.filter((flag): flag is string => typeof flag === 'string') : [];
}

const flagName = (flag: string) => (flag.split('=')[0] ?? flag).replaceAll('_', '-');

/**
 * Declared flags a process was started without, by name: a different value given on purpose
 * counts as given. `given`: its `execArgv` and the words of its `NODE_OPTIONS`.
 */
export function missingNodeFlags(serviceDir: string | URL, given: readonly string[]): string[] {
  const names = new Set(given.map(flagName));
  return declaredNodeFlags(serviceDir).filter((flag) => !names.has(flagName(flag)));
}
