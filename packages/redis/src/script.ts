import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';

/** A script's key or argument; ioredis sends a number as its decimal text. */
export type ScriptArg = string | number;

/** A command that `defineCommand` added to a client, called with the key count first. */
export type ScriptCommand = (numberOfKeys: number, ...keysAndArgs: ScriptArg[]) => Promise<unknown>;

/** Lua helpers shared by several scripts (e.g. GCRA), put before each script that includes it. */
export interface LuaFragment {
  readonly file: URL;
  /** The file's text, read on first use. */
  readonly source: string;
}

/** See {@link defineScript}. */
export interface ScriptDefinition<Result> {
  /** The command's name on the client: unique per client, so prefixed with its owner. */
  name: string;
  /** The `.lua` file, resolved from the owner: `new URL('./x.lua', import.meta.url)`. */
  file: URL;
  /** Fragments put before the file's text, in this order (default none). */
  includes?: readonly LuaFragment[];
  /** Checks the raw reply and gives it its type; throws on a reply the script never gives. */
  reply: (raw: unknown) => Result;
}

/** A script bound to a client: KEYS and ARGV as the script reads them. */
export type ScriptCall<Keys extends readonly string[], Args extends readonly ScriptArg[], Result> = (
  keys: Keys,
  args: Args,
) => Promise<Result>;

/** A Lua script loaded from its file; {@link Script.on} binds it to a client. */
export interface Script<Keys extends readonly string[], Args extends readonly ScriptArg[], Result> {
  readonly name: string;
  /** The full source: included fragments, then the file. */
  readonly lua: string;
  /**
   * Registers the script on `redis` with ioredis `defineCommand` (EVAL once per connection, then
   * EVALSHA, again EVAL after NOSCRIPT; keys prefixed and routed by slot like any command) and
   * returns its caller. Registering again on the same client is harmless.
   */
  on(redis: Redis): ScriptCall<Keys, Args, Result>;
}

function reader(file: URL): () => string {
  let text: string | undefined;
  return () => (text ??= readFileSync(fileURLToPath(file), 'utf8'));
}

/** A shared piece of Lua; see {@link ScriptDefinition.includes}. */
export function luaFragment(file: URL): LuaFragment {
  const read = reader(file);
  return {
    file,
    get source() {
      return read();
    },
  };
}

/** True when `redis` has the command `name` (registered by {@link Script.on}), typed as a script command. */
export function hasScriptCommand<N extends string>(redis: Redis, name: N): redis is Redis & Record<N, ScriptCommand> {
  return typeof Reflect.get(redis, name) === 'function';
}

/**
 * A typed Lua script kept in its own `.lua` file next to its owner. The file is read once, on
 * first use (files are found from the TypeScript source, so nothing is read at import time).
 * Calls send the key count first, so one script serves a fixed or a varying number of keys.
 */
export function defineScript<Keys extends readonly string[], Args extends readonly ScriptArg[], Result = unknown>(
  definition: ScriptDefinition<Result>,
): Script<Keys, Args, Result> {
  const { name, reply } = definition;
  const read = reader(definition.file);
  let lua: string | undefined;
  const source = () => (lua ??= [...(definition.includes ?? []).map((fragment) => fragment.source), read()].join('\n'));
  return {
    name,
    get lua() {
      return source();
    },
    on(redis) {
      redis.defineCommand(name, { lua: source() });
      return async (keys, args) => {
        // Looked up per call, so a test can wrap the client's command.
        const command = hasScriptCommand(redis, name) ? redis[name] : undefined;
        if (command === undefined) throw new Error(`the script ${name} is not registered on this client`);
        return reply(await command.call(redis, keys.length, ...keys, ...args));
      };
    },
  };
}

/** A reply decoder that leaves the reply to the caller to check. */
export const anyReply = (raw: unknown): unknown => raw;

/** A reply decoder for a script that returns an integer. */
export function integerReply(raw: unknown): number {
  if (typeof raw !== 'number') throw new TypeError(`expected an integer reply, got ${typeof raw}`);
  return raw;
}

/** A reply decoder for a script that returns a string. */
export function stringReply(raw: unknown): string {
  if (typeof raw !== 'string') throw new TypeError(`expected a string reply, got ${typeof raw}`);
  return raw;
}
