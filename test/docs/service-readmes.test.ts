import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// Every service README documents exactly the variables its config.ts reads and the metrics its
// metrics.ts registers, so neither can drift from the code. Read as text: no service is imported.

const ROOT = new URL('../../', import.meta.url).pathname;
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** The variable names of a `defineConfig({ … })` / `z.object({ … })` schema: its two-space-indented keys. */
function schemaVariables(source: string, opener: string): string[] {
  const body = source.slice(source.indexOf(opener));
  return [...body.matchAll(/^ {2}([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1] ?? '');
}

/** The text under the first heading matching `title` (`##` or `###`), up to the next heading of that level or above. */
function section(markdown: string, title: RegExp): string | undefined {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => /^#{2,3} /.test(line) && title.test(line.replace(/^#+ /, '')));
  if (start === -1) return undefined;
  const level = /^#+/.exec(lines[start] ?? '')?.[0].length ?? 2;
  const end = lines.findIndex((line, i) => i > start && new RegExp(`^#{1,${String(level)}} `).test(line));
  return lines.slice(start + 1, end === -1 ? undefined : end).join('\n');
}

/** Backticked names in `text`: full ones, and `_SUFFIX` shorthands (`A_HOST` / `_PORT`). */
function names(text: string, pattern: RegExp): { full: string[]; suffixes: string[] } {
  const tokens = [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? '');
  return { full: tokens.filter((t) => pattern.test(t)), suffixes: tokens.filter((t) => /^_[A-Za-z0-9_]+$/.test(t)) };
}

/** True when `name` is written in full, or as a suffix shorthand after a full name sharing its prefix. */
function mentioned(name: string, found: { full: string[]; suffixes: string[] }): boolean {
  if (found.full.includes(name)) return true;
  return found.suffixes.some((suffix) => {
    if (!name.endsWith(suffix)) return false;
    const prefix = name.slice(0, -suffix.length);
    return found.full.some((full) => full.startsWith(`${prefix}_`));
  });
}

const known = (name: string, all: readonly string[]) => all.includes(name);
const resolves = (suffix: string, all: readonly string[]) => all.some((name) => name.endsWith(suffix));

const ENV = /^[A-Z][A-Z0-9]*_[A-Z0-9_]+$/;
const METRIC = /^keywatch_[a-z0-9_]+$/;
const engineVariables = schemaVariables(read('packages/config/src/engine.ts'), 'z.object({');
const services = readdirSync(join(ROOT, 'services')).filter((name) =>
  existsSync(join(ROOT, 'services', name, 'src/main.ts')),
);

describe('service READMEs', () => {
  it('exist for every service, each with a Config and a Metrics section', () => {
    expect(services.length).toBeGreaterThan(0);
    for (const service of services) {
      const readme = read(`services/${service}/README.md`);
      expect(section(readme, /^Config(uration)?$/), `${service}: Config section`).toBeDefined();
      expect(section(readme, /^Metrics$/), `${service}: Metrics section`).toBeDefined();
      expect(readme, `${service}: how it starts`).toMatch(new RegExp(`keywatch (run ${service}|sim)`));
    }
  });

  it.each(services)('%s: the Config tables list exactly the variables of config.ts', (service) => {
    const variables = schemaVariables(read(`services/${service}/src/config.ts`), 'defineConfig({');
    expect(variables.length, 'variables parsed from config.ts').toBeGreaterThan(0);
    const config = section(read(`services/${service}/README.md`), /^Config(uration)?$/) ?? '';
    const rows = config.split('\n').filter((line) => line.startsWith('| `'));
    const listed = names(rows.map((row) => row.split(' | ')[0]).join('\n'), ENV);
    for (const variable of variables)
      expect(mentioned(variable, listed), `${variable} in the README's Config table`).toBe(true);
    const all = [...variables, ...engineVariables];
    for (const name of listed.full) expect(known(name, all), `${name} is read by config.ts`).toBe(true);
    for (const suffix of listed.suffixes) expect(resolves(suffix, all), `${suffix} is read by config.ts`).toBe(true);
  });

  // Services, and packages that register metrics for the services embedding them (the gateway SDK).
  const metricOwners = [
    ...services.map((name) => `services/${name}`),
    ...readdirSync(join(ROOT, 'packages'))
      .map((name) => `packages/${name}`)
      .filter(
        (dir) =>
          existsSync(join(ROOT, dir, 'src/metrics.ts')) &&
          /new (Counter|Gauge|Histogram)\b/.test(read(`${dir}/src/metrics.ts`)),
      ),
  ];

  it.each(metricOwners)('%s: the Metrics section names exactly the metrics of metrics.ts', (dir) => {
    const file = `${dir}/src/metrics.ts`;
    const metrics = existsSync(join(ROOT, file))
      ? [...read(file).matchAll(/'(keywatch_[a-z0-9_]+)'/g)].map((m) => m[1] ?? '')
      : [];
    const text = section(read(`${dir}/README.md`), /^Metrics$/) ?? '';
    const listed = names(text.replace(/\{[^}`]*\}/g, ''), METRIC);
    for (const metric of metrics)
      expect(mentioned(metric, listed), `${metric} in the README's Metrics section`).toBe(true);
    for (const name of listed.full) expect(known(name, metrics), `${name} is registered in metrics.ts`).toBe(true);
  });
});

describe('docs/contracts.md', () => {
  it('lists exactly the engine variables every service shares', () => {
    const environment = section(read('docs/contracts.md'), /^Environment$/) ?? '';
    const table = environment.split('\n\n').find((block) => block.startsWith('| variable | default |')) ?? '';
    const rows = table.split('\n').filter((line) => line.startsWith('| `'));
    const listed = rows.flatMap((row) => names(row.split(' | ')[0] ?? '', ENV).full);
    expect([...listed].sort()).toEqual([...engineVariables].sort());
  });
});
