import type { ApiRequest, RequestsQuery } from '@keywatch/api-client';
import type { Command } from 'commander';
import { analyticsFromEnv } from '../api.js';

interface RequestsOptions {
  key?: string;
  ip?: string;
  country?: string;
  outcome?: string;
  status?: string;
  route?: string;
  scope?: string;
  from?: string;
  to?: string;
  limit?: string;
  cursor?: string;
  all?: boolean;
  tenant?: string;
  json?: boolean;
}

const row = (r: ApiRequest) => ({
  ts: r.ts,
  key: r.key_id ?? '-',
  outcome: r.outcome,
  status: r.status,
  method: r.method,
  route: r.route,
  ip: r.ip,
  country: r.country ?? '-',
  city: r.city ?? '',
  ms: r.latency_ms,
});

/** `keywatch requests`: request search over the raw auth events (analytics API, `GET /v1/requests`). */
export function registerRequests(program: Command, env: NodeJS.ProcessEnv): void {
  program
    .command('requests')
    .description(
      'search the requests behind the analytics, newest first (needs analytics:read; KEYWATCH_ANALYTICS_URL)',
    )
    .option('--key <key_id>', 'requests made with this key')
    .option('--ip <address-or-cidr>', 'client address or CIDR block, e.g. 203.0.113.0/24')
    .option('--country <code>', 'ISO 3166 alpha-2 country of the client')
    .option('--outcome <outcome>', 'gateway decision, e.g. unknown_key')
    .option('--status <status>', 'HTTP status')
    .option('--route <route>', 'route template, e.g. /v1/customers/:id')
    .option('--scope <scope>', 'scope the route needed')
    .option('--from <time>', 'at or after (RFC 3339)')
    .option('--to <time>', 'before (RFC 3339)')
    .option('--limit <n>', 'per page, 1–1000, default 100')
    .option('--cursor <cursor>', 'continue after a previous page (its next_cursor)')
    .option('--all', 'follow next_cursor to the end (--limit is then the page size)')
    .option('--tenant <id>', 'root key only: the tenant to read')
    .option('--json', 'print the API answer as JSON (with --all: one request per line)')
    .action(async (o: RequestsOptions) => {
      const client = analyticsFromEnv(env, 'analytics:read');
      // Option strings go as they are: the API checks them and names a bad field.
      const query: RequestsQuery = {
        key_id: o.key,
        ip: o.ip,
        country: o.country,
        outcome: o.outcome,
        status: o.status,
        route: o.route,
        scope: o.scope,
        from: o.from,
        to: o.to,
        limit: o.limit,
        cursor: o.cursor,
        tenant_id: o.tenant,
      };
      let page = await client.searchRequests(query);
      if (!o.all) {
        if (o.json) console.log(JSON.stringify(page, null, 2));
        else {
          console.table(page.requests.map(row));
          if (page.next_cursor) console.log(`more: --cursor ${page.next_cursor}`);
        }
        return;
      }
      for (;;) {
        if (o.json) for (const r of page.requests) console.log(JSON.stringify(r));
        else if (page.requests.length > 0) console.table(page.requests.map(row));
        if (!page.next_cursor) return;
        page = await client.searchRequests({ ...query, cursor: page.next_cursor });
      }
    });
}
