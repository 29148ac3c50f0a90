import { randomBytes } from 'node:crypto';
import { expect, test } from '@keywatch/testkit';
import { createRedis, type Redis } from './index.js';

/** Runs `use` with a client of its own and always disconnects it. */
async function withClient<T>(
  settings: Parameters<typeof createRedis>[0],
  use: (client: Redis) => Promise<T>,
): Promise<T> {
  const client = createRedis(settings);
  try {
    return await use(client);
  } finally {
    client.disconnect();
  }
}

test('the key prefix isolates: keys written under a prefix have the full name to an unprefixed client and are invisible to other prefixes', async ({
  redis,
}) => {
  await redis.client.set('key:k1', 'v1');
  await redis.client.hset('tenant:t1', { requests: '3' });

  await withClient({ url: redis.url, keyPrefix: '' }, async (raw) => {
    expect(await raw.get(`${redis.prefix}key:k1`)).toBe('v1');
    expect(await raw.hget(`${redis.prefix}tenant:t1`, 'requests')).toBe('3');
    expect(await raw.exists('key:k1')).toBe(0);
  });
  await withClient({ url: redis.url, keyPrefix: `${redis.prefix}other:` }, async (other) => {
    expect(await other.get('key:k1')).toBeNull();
  });
});

test('without a key prefix setting, keys go under keywatch:', async ({ redis }) => {
  const name = `kwtest-default-${randomBytes(4).toString('hex')}`;
  await withClient({ url: redis.url }, async (client) => {
    try {
      await client.set(name, '1');
      await withClient({ url: redis.url, keyPrefix: '' }, async (raw) =>
        expect(await raw.get(`keywatch:${name}`)).toBe('1'),
      );
    } finally {
      await client.del(name);
    }
  });
});

test('a command that outlasts commandTimeoutMs fails fast instead of hanging', async ({ redis }) => {
  await withClient({ url: redis.url, keyPrefix: redis.prefix, commandTimeoutMs: 200 }, async (client) => {
    // Blocks for 10 s on the server: without the timeout this would resolve null after 10 s.
    await expect(client.blpop('never-pushed', 10)).rejects.toThrow(/timed out/i);
  });
});

test('the connection name shows in CLIENT LIST', async ({ redis }) => {
  const name = `kwtest-${randomBytes(4).toString('hex')}`;
  await withClient({ url: redis.url, keyPrefix: redis.prefix, connectionName: name }, async (client) => {
    await client.ping();
    const list = String(await redis.client.client('LIST'));
    expect(list.split('\n').filter((line) => line.includes(` name=${name} `))).toHaveLength(1);
  });
});
