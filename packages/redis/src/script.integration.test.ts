import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, test } from '@keywatch/testkit';
import { defineScript, hasScriptCommand, integerReply, luaFragment } from './index.js';

/** Writes `.lua` files into a fresh folder; returns each one's URL. */
function luaFiles(files: Record<string, string>): Record<string, URL> {
  const dir = mkdtempSync(path.join(tmpdir(), 'kw-lua-'));
  return Object.fromEntries(
    Object.entries(files).map(([name, text]) => {
      const file = path.join(dir, name);
      writeFileSync(file, text);
      return [name, pathToFileURL(file)];
    }),
  );
}

const files = luaFiles({
  'helpers.lua': 'local function add(a, b) return tonumber(a) + tonumber(b) end\n',
  'incr-by-sum.lua':
    "-- KEYS: counters. ARGV: a, b.\nlocal n = 0\nfor _, key in ipairs(KEYS) do n = redis.call('INCRBY', key, add(ARGV[1], ARGV[2])) end\nreturn n\n",
  'text.lua': "return 'not a number'\n",
});

test('a script from its file, with an included fragment, runs with prefixed keys and any number of them', async ({
  redis,
}) => {
  const script = defineScript<string[], [a: number, b: string], number>({
    name: 'kwtestIncrBySum',
    file: files['incr-by-sum.lua']!,
    includes: [luaFragment(files['helpers.lua']!)],
    reply: integerReply,
  });
  expect(script.lua.startsWith('local function add')).toBe(true);
  const run = script.on(redis.client);
  expect(await run(['one'], [2, '3'])).toBe(5);
  expect(await run(['one', 'two'], [1, '1'])).toBe(2);
  expect(await redis.client.mget('one', 'two')).toEqual(['7', '2']);
  // Registered on the client under its name (tests can wrap it); again on the same client is harmless.
  expect(hasScriptCommand(redis.client, 'kwtestIncrBySum')).toBe(true);
  expect(await script.on(redis.client)(['one'], [0, '1'])).toBe(8);
});

test('a reply the script never gives rejects through the reply check', async ({ redis }) => {
  const script = defineScript<[], [], number>({ name: 'kwtestText', file: files['text.lua']!, reply: integerReply });
  await expect(script.on(redis.client)([], [])).rejects.toThrow(/expected an integer reply/);
});
