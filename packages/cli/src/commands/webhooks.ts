import type { CreateWebhookRequest, KeyServiceClient, ListDeliveriesQuery } from '@keywatch/api-client';
import type { Command } from 'commander';
import { keyServiceFromEnv } from '../api.js';

/**
 * `keywatch webhooks …`: alert destinations, their deliveries and dead-letter replay, over the key
 * service's admin API. {@link CommandLike} is the part of commander's `Command` used here, so that
 * a test can run the commands on a stand-in.
 */

/** The subset of commander's `Command` used here. */
export interface CommandLike {
  command(name: string): CommandLike;
  description(text: string): CommandLike;
  option(flags: string, description?: string): CommandLike;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- commander's own signature: arguments, then options
  action(fn: (...args: any[]) => void | Promise<void>): CommandLike;
}

type Env = Readonly<Record<string, string | undefined>>;
type Row = Record<string, string | number | null>;

const rows = (value: unknown): Row[] => (Array.isArray(value) ? (value as Row[]) : []);

/** Table rows for `webhooks deliveries`. */
export function deliveryRows(body: Record<string, unknown>): Row[] {
  return rows(body.deliveries).map((d) => ({
    delivery_id: d.id ?? '',
    status: d.status ?? '',
    alert_id: d.alert_id ?? '',
    type: d.alert_type ?? '',
    severity: d.severity ?? '',
    attempts: d.attempts ?? 0,
    http: d.response_status ?? null,
    last_error: d.last_error ?? null,
    updated_at: d.updated_at ?? '',
  }));
}

/** Table rows for `webhooks list`. */
export function webhookRows(body: Record<string, unknown>): Row[] {
  // A platform destination (no tenant) shows what it receives instead of a tenant.
  const owner = (w: Row) =>
    w.tenant_id ??
    ((w as { all_tenants?: boolean }).all_tenants ? '(platform: all alerts)' : '(platform: tenantless alerts)');
  return rows(body.webhooks).map((w) => ({
    id: w.id ?? '',
    tenant_id: owner(w),
    kind: w.kind ?? '',
    min_severity: w.min_severity ?? '',
    types: Array.isArray(w.types) ? (w.types as string[]).join(',') || '(all)' : '(all)',
    url: w.url ?? '',
  }));
}

interface Options {
  tenant?: string;
  status?: string;
  limit?: string;
  kind?: string;
  minSeverity?: string;
  types?: string;
  grace?: string;
  json?: boolean;
  /** `--platform`. */
  platform?: boolean;
  /** False with `--no-all-tenants`. */
  allTenants?: boolean;
}

/**
 * Registers `webhooks list|create|delete|rotate-secret|deliveries|replay` on `program`.
 * @param print - shows a result: `(rows, json) => json ? console.log(JSON.stringify(rows, null, 2)) : console.table(rows)`.
 * @param warn - where the once-only secret warning goes (stderr).
 */
export function registerWebhookCommands(
  program: CommandLike,
  print: (rows: Row[] | Record<string, unknown>, asJson: boolean) => void,
  warn: (text: string) => void,
  env: Env,
): void {
  const api = (): KeyServiceClient => keyServiceFromEnv(env, 'webhooks:manage');
  const group = program
    .command('webhooks')
    .description(
      'alert destinations (signed webhooks), deliveries and dead-letter replay, over the key service (KEYWATCH_KEY_SERVICE_URL)',
    );
  group
    .command('list')
    .description('alert destinations')
    .option('--tenant <id>', 'root key only: one tenant (default all, and the platform destinations)')
    .option('--platform', 'root key only: the platform destinations only')
    .option('--json', 'print the API answer as JSON')
    .action(async (options: Options) => {
      const body = {
        ...(await api().listWebhooks({ tenant_id: options.tenant, scope: options.platform ? 'platform' : undefined })),
      };
      print(options.json ? body : webhookRows(body), options.json === true);
    });
  group
    .command('create <url>')
    .description('add a destination; prints its signing secret once')
    .option('--kind <json|slack>', 'default json')
    .option('--min-severity <low|medium|high|critical>', 'default low')
    .option('--types <a,b>', 'alert types, comma-separated (default all)')
    .option('--tenant <id>', 'root key: the tenant')
    .option(
      '--platform',
      "root key: a platform destination (no tenant): alerts without a tenant, and every tenant's unless --no-all-tenants",
    )
    .option('--no-all-tenants', 'with --platform: only the alerts without a tenant')
    .option('--json', 'print the API answer as JSON')
    .action(async (url: string, options: Options) => {
      // Option strings go as they are: the API checks them and names a bad field.
      const request = {
        url,
        kind: options.kind ?? 'json',
        ...(options.minSeverity ? { min_severity: options.minSeverity } : {}),
        ...(options.types ? { types: options.types.split(',').map((t) => t.trim()) } : {}),
        ...(options.tenant ? { tenant_id: options.tenant } : {}),
        ...(options.platform ? { scope: 'platform' } : {}),
        // Sent whenever asked for, so that the API names the field if --platform is missing.
        ...(options.platform || options.allTenants === false ? { all_tenants: options.allTenants !== false } : {}),
      } as CreateWebhookRequest;
      const body = { ...(await api().createWebhook(request)) };
      warn('The signing secret is shown once: store it with the receiver now.');
      print(
        options.json ? body : [{ ...webhookRows({ webhooks: [body.webhook] })[0], secret: body.secret }],
        options.json === true,
      );
    });
  group
    .command('delete <webhook_id>')
    .description('remove a destination')
    .action(async (id: string) => {
      await api().deleteWebhook(id);
      print({ deleted: id }, true);
    });
  group
    .command('rotate-secret <webhook_id>')
    .description('new signing secret (printed once); the old one keeps signing for --grace seconds')
    .option('--grace <seconds>', 'default 86400')
    .option('--json', 'print the API answer as JSON')
    .action(async (id: string, options: Options) => {
      const body = {
        ...(await api().rotateWebhookSecret(id, options.grace ? { grace_period_s: Number(options.grace) } : {})),
      };
      warn('The new signing secret is shown once: store it with the receiver now.');
      print(
        options.json ? body : [{ ...webhookRows({ webhooks: [body.webhook] })[0], secret: body.secret }],
        options.json === true,
      );
    });
  group
    .command('deliveries <webhook_id>')
    .description("a destination's deliveries, newest first; --status failed lists the dead letters")
    .option('--status <pending|delivered|failed|suppressed>', 'default all')
    .option('--limit <n>', '1–1000, default 100')
    .option('--json', 'print the API answer as JSON')
    .action(async (id: string, options: Options) => {
      const body = {
        ...(await api().listDeliveries(id, { status: options.status, limit: options.limit } as ListDeliveriesQuery)),
      };
      print(options.json ? body : deliveryRows(body), options.json === true);
    });
  group
    .command('replay <webhook_id> <delivery_id>')
    .description('send a dead-lettered delivery again (full retry schedule)')
    .option('--json', 'print the API answer as JSON')
    .action(async (id: string, deliveryId: string, options: Options) => {
      const body = { ...(await api().replayDelivery(id, deliveryId)) };
      print(options.json ? body : deliveryRows({ deliveries: [body.delivery] }), options.json === true);
    });
}

/** `keywatch webhooks list|create|delete|rotate-secret|deliveries|replay`, as tables or JSON. */
export function registerWebhooks(program: Command, env: NodeJS.ProcessEnv): void {
  registerWebhookCommands(
    program,
    (rows, asJson) => {
      if (asJson || !Array.isArray(rows)) console.log(JSON.stringify(rows, null, 2));
      else console.table(rows);
    },
    (text) => process.stderr.write(`${text}\n`),
    env,
  );
}
