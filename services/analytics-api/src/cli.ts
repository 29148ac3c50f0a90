/**
 * `keywatch analytics …`: the analytics API's answers as tables. The CLI package wires
 * {@link registerAnalyticsCommands} into its commander program; this file needs no commander
 * dependency of its own ({@link CommandLike} is the part of commander's `Command` it uses).
 */

/** The subset of commander's `Command` used here. */
export interface CommandLike {
  command(name: string): CommandLike;
  description(text: string): CommandLike;
  option(flags: string, description?: string): CommandLike;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- commander's own signature: arguments, then options
  action(fn: (...args: any[]) => void | Promise<void>): CommandLike;
}

interface Options {
  from?: string;
  to?: string;
  interval?: string;
  sort?: string;
  limit?: string;
  tenant?: string;
  json?: boolean;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Calls the analytics API (`KEYWATCH_ANALYTICS_URL`, default `http://127.0.0.1:8081`) with `KEYWATCH_API_KEY` (else `KEYWATCH_ROOT_KEY`). */
export async function callAnalytics(path: string, query: Record<string, string | undefined>, env: Env = process.env): Promise<Record<string, unknown>> {
  const base = env.KEYWATCH_ANALYTICS_URL ?? 'http://127.0.0.1:8081';
  const token = env.KEYWATCH_API_KEY ?? env.KEYWATCH_ROOT_KEY;
  if (!token) throw new Error('set KEYWATCH_API_KEY (a secret key with analytics:read) or KEYWATCH_ROOT_KEY');
  const url = new URL(path, base);
  for (const [name, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(name, value);
  let response: Response;
  try {
    response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  } catch (error) {
    throw new Error(`the analytics API does not answer at ${base} (${error instanceof Error ? error.message : String(error)}); start it with \`keywatch run analytics-api\``);
  }
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown> & { error?: { code: string; message: string; field?: string } };
  if (!response.ok) {
    const e = body.error;
    throw new Error(`${response.status} ${e?.code ?? ''}: ${e?.message ?? response.statusText}${e?.field ? ` (field ${e.field})` : ''}`);
  }
  return body;
}

type Row = Record<string, string | number | null>;
const list = (value: unknown): Row[] => (Array.isArray(value) ? (value as Row[]) : []);
const pct = (rate: unknown) => `${(Number(rate) * 100).toFixed(2)} %`;

/** The table rows the CLI prints for one answer of the analytics API. */
export function analyticsTable(kind: 'usage' | 'errors' | 'geo' | 'features' | 'top', body: Record<string, unknown>): Row[] {
  switch (kind) {
    case 'usage':
      return list(body.points).map((p) => ({ bucket: p.ts ?? null, requests: p.requests ?? 0, errors: p.errors ?? 0, error_rate: pct(p.error_rate), rate_limited: p.rate_limited ?? 0, p50_ms: p.p50_latency_ms ?? null, p95_ms: p.p95_latency_ms ?? null }));
    case 'errors':
      return [
        ...list(body.by_outcome).map((o) => ({ kind: 'outcome', value: o.outcome ?? null, requests: o.requests ?? 0, share: pct(o.share) })),
        ...list(body.by_status).map((s) => ({ kind: 'status', value: s.status ?? null, requests: s.requests ?? 0, share: pct(Number(s.requests) / Math.max(1, Number(body.requests))) })),
      ];
    case 'geo':
      return list(body.countries).flatMap((c) =>
        list((c as unknown as { cities: unknown }).cities).map((city) => ({ country: c.country ?? '(unknown)', region: city.region ?? '', city: city.city ?? '', requests: city.requests ?? 0, errors: city.errors ?? 0 })),
      );
    case 'features':
      return list(body.by_route).map((r) => ({ scope: r.scope ?? '', method: r.method ?? '', route: r.route ?? '', requests: r.requests ?? 0, errors: r.errors ?? 0, error_rate: pct(r.error_rate) }));
    case 'top':
      return list(body.keys).map((k) => ({ key_id: k.key_id ?? '', requests: k.requests ?? 0, errors: k.errors ?? 0, error_rate: pct(k.error_rate), rate_limited: k.rate_limited ?? 0 }));
  }
}

/**
 * Registers `analytics usage|errors|geo|features <key_id>` and `analytics top` on `program`.
 * @param print - shows a result: the CLI passes `(rows, json) => json ? console.log(JSON.stringify(rows, null, 2)) : console.table(rows)`.
 */
export function registerAnalyticsCommands(program: CommandLike, print: (rows: Row[] | Record<string, unknown>, asJson: boolean) => void): void {
  const group = program.command('analytics').description('usage analytics per key and tenant, from the analytics API (KEYWATCH_ANALYTICS_URL)');
  const range = (cmd: CommandLike) =>
    cmd
      .option('--from <time>', 'RFC 3339 start (default: 24 h before --to)')
      .option('--to <time>', 'RFC 3339 end, exclusive (default: now)')
      .option('--tenant <id>', 'root key only: the tenant to read')
      .option('--json', 'print the API answer as JSON');
  for (const kind of ['usage', 'errors', 'geo', 'features'] as const) {
    const cmd = range(group.command(`${kind} <key_id>`).description(`${kind} of one key`));
    if (kind === 'usage') cmd.option('--interval <minute|hour|day>', 'bucket size (default hour)');
    cmd.action(async (keyId: string, options: Options) => {
      const body = await callAnalytics(`/v1/analytics/keys/${encodeURIComponent(keyId)}/${kind}`, { from: options.from, to: options.to, interval: options.interval, tenant_id: options.tenant });
      print(options.json ? body : analyticsTable(kind, body), options.json === true);
    });
  }
  range(group.command('top').description("top keys of the caller's tenant"))
    .option('--sort <requests|errors|error_rate>', 'default requests')
    .option('--limit <n>', '1–100, default 10')
    .action(async (options: Options) => {
      const body = await callAnalytics('/v1/analytics/keys', { from: options.from, to: options.to, sort: options.sort, limit: options.limit, tenant_id: options.tenant });
      print(options.json ? body : analyticsTable('top', body), options.json === true);
    });
}
