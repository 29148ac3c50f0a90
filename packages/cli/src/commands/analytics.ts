import type { AnalyticsClient } from '@keywatch/api-client';
import type { Command } from 'commander';
import { analyticsFromEnv } from '../api.js';

/** `keywatch analytics …`: the analytics API's answers as tables or JSON. */

interface Options {
  from?: string;
  to?: string;
  interval?: string;
  sort?: string;
  limit?: string;
  tenant?: string;
  json?: boolean;
}

type Row = Record<string, string | number | null>;
const list = (value: unknown): Row[] => (Array.isArray(value) ? (value as Row[]) : []);
const pct = (rate: unknown) => `${(Number(rate) * 100).toFixed(2)} %`;

/** The table rows the CLI prints for one answer of the analytics API. */
export function analyticsTable(
  kind: 'usage' | 'errors' | 'geo' | 'features' | 'top',
  body: Record<string, unknown>,
): Row[] {
  switch (kind) {
    case 'usage':
      return list(body.points).map((p) => ({
        bucket: p.ts ?? null,
        requests: p.requests ?? 0,
        errors: p.errors ?? 0,
        error_rate: pct(p.error_rate),
        rate_limited: p.rate_limited ?? 0,
        p50_ms: p.p50_latency_ms ?? null,
        p95_ms: p.p95_latency_ms ?? null,
      }));
    case 'errors':
      return [
        ...list(body.by_outcome).map((o) => ({
          kind: 'outcome',
          value: o.outcome ?? null,
          requests: o.requests ?? 0,
          share: pct(o.share),
        })),
        ...list(body.by_status).map((s) => ({
          kind: 'status',
          value: s.status ?? null,
          requests: s.requests ?? 0,
          share: pct(Number(s.requests) / Math.max(1, Number(body.requests))),
        })),
      ];
    case 'geo':
      return list(body.countries).flatMap((c) =>
        list((c as unknown as { cities: unknown }).cities).map((city) => ({
          country: c.country ?? '(unknown)',
          region: city.region ?? '',
          city: city.city ?? '',
          requests: city.requests ?? 0,
          errors: city.errors ?? 0,
        })),
      );
    case 'features':
      return list(body.by_route).map((r) => ({
        scope: r.scope ?? '',
        method: r.method ?? '',
        route: r.route ?? '',
        requests: r.requests ?? 0,
        errors: r.errors ?? 0,
        error_rate: pct(r.error_rate),
      }));
    case 'top':
      return list(body.keys).map((k) => ({
        key_id: k.key_id ?? '',
        requests: k.requests ?? 0,
        errors: k.errors ?? 0,
        error_rate: pct(k.error_rate),
        rate_limited: k.rate_limited ?? 0,
      }));
  }
}

function print(rows: Row[] | Record<string, unknown>, asJson: boolean): void {
  if (asJson || !Array.isArray(rows)) console.log(JSON.stringify(rows, null, 2));
  else console.table(rows);
}

/** Registers `analytics usage|errors|geo|features <key_id>` and `analytics top` on `program`. */
export function registerAnalytics(program: Command, env: NodeJS.ProcessEnv): void {
  const api = (): AnalyticsClient => analyticsFromEnv(env, 'analytics:read');
  const group = program
    .command('analytics')
    .description('usage analytics per key and tenant, from the analytics API (KEYWATCH_ANALYTICS_URL)');
  const range = (cmd: Command) =>
    cmd
      .option('--from <time>', 'RFC 3339 start (default: 24 h before --to)')
      .option('--to <time>', 'RFC 3339 end, exclusive (default: now)')
      .option('--tenant <id>', 'root key only: the tenant to read')
      .option('--json', 'print the API answer as JSON');
  for (const kind of ['usage', 'errors', 'geo', 'features'] as const) {
    const cmd = range(group.command(`${kind} <key_id>`).description(`${kind} of one key`));
    if (kind === 'usage') cmd.option('--interval <minute|hour|day>', 'bucket size (default hour)');
    cmd.action(async (keyId: string, options: Options) => {
      const query = { from: options.from, to: options.to, tenant_id: options.tenant };
      // Option strings go as they are: the API checks them and names a bad field.
      const body = {
        ...(kind === 'usage'
          ? await api().usage(keyId, { ...query, interval: options.interval as 'hour' | undefined })
          : await api()[kind](keyId, query)),
      };
      print(options.json ? body : analyticsTable(kind, body), options.json === true);
    });
  }
  range(group.command('top').description("top keys of the caller's tenant"))
    .option('--sort <requests|errors|error_rate>', 'default requests')
    .option('--limit <n>', '1–100, default 10')
    .action(async (options: Options) => {
      const body = {
        ...(await api().topKeys({
          from: options.from,
          to: options.to,
          sort: options.sort as 'requests' | undefined,
          limit: options.limit,
          tenant_id: options.tenant,
        })),
      };
      print(options.json ? body : analyticsTable('top', body), options.json === true);
    });
}
