import { describe, expect, test } from '@keywatch/testkit';
import { registerWebhookCommands, type CommandLike } from './webhooks.js';
import { pollUntil, startWebhookStack, testAlert } from '@keywatch/notifier/testing';

type Action = (...args: unknown[]) => Promise<void>;

/** Enough of commander to find a registered command by its path and run its action. */
function fakeProgram() {
  const actions = new Map<string, Action>();
  const node = (path: string): CommandLike => ({
    command: (name) => node(`${path} ${name.split(' ')[0]}`.trim()),
    description: () => node(path),
    option: () => node(path),
    action(fn) {
      actions.set(path, fn as Action);
      return node(path);
    },
  });
  return {
    program: node(''),
    run: (path: string, ...args: unknown[]) => actions.get(path)!(...args),
    paths: () => [...actions.keys()],
  };
}

describe('keywatch webhooks', () => {
  test('lists dead letters and replays them through the key service', async ({ kafka, redis, logger }) => {
    const env = await startWebhookStack({ kafka, redis, logger }, 'tenant_dev_cli', {
      NOTIFIER_ATTEMPTS: '2',
      NOTIFIER_BACKOFF: '50ms',
    });
    const saved = {
      url: process.env.KEYWATCH_KEY_SERVICE_URL,
      root: process.env.KEYWATCH_ROOT_KEY,
      api: process.env.KEYWATCH_API_KEY,
    };
    process.env.KEYWATCH_KEY_SERVICE_URL = env.ks.url;
    process.env.KEYWATCH_ROOT_KEY = env.ks.rootKey;
    delete process.env.KEYWATCH_API_KEY;
    try {
      const printed: unknown[] = [];
      const cli = fakeProgram();
      registerWebhookCommands(
        cli.program,
        (rows) => printed.push(rows),
        () => undefined,
        process.env,
      );
      expect(cli.paths().sort()).toEqual([
        'webhooks create',
        'webhooks delete',
        'webhooks deliveries',
        'webhooks list',
        'webhooks replay',
        'webhooks rotate-secret',
      ]);

      env.receiver.setStatus(500);
      await env.publish(testAlert('tenant_dev_cli'));
      expect(await pollUntil(async () => (await env.deliveries('failed')).length === 1, 60_000)).toBe(true);
      await cli.run('webhooks deliveries', env.hookId, { status: 'failed' });
      const rows = printed.pop() as Array<{ delivery_id: string; status: string; attempts: number; http: number }>;
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ status: 'failed', attempts: 2, http: 500 });

      env.receiver.setStatus(200);
      await cli.run('webhooks replay', env.hookId, rows[0]!.delivery_id, {});
      expect((printed.pop() as Array<{ status: string }>)[0]?.status).toBe('pending');
      expect(await pollUntil(async () => (await env.deliveries('delivered')).length === 1, 60_000)).toBe(true);
      await expect(cli.run('webhooks replay', env.hookId, rows[0]!.delivery_id, {})).rejects.toThrow(/409 not_failed/);

      await cli.run('webhooks list', { tenant: 'tenant_dev_cli' });
      expect(printed.pop()).toEqual([expect.objectContaining({ id: env.hookId, kind: 'json', types: '(all)' })]);
    } finally {
      for (const [name, value] of [
        ['KEYWATCH_KEY_SERVICE_URL', saved.url],
        ['KEYWATCH_ROOT_KEY', saved.root],
        ['KEYWATCH_API_KEY', saved.api],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      await env.close();
    }
  });
});
