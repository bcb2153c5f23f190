import { createHash } from 'node:crypto';

/** `numberOfKeys` of a script that takes any number of keys (at least one); each call passes its own. */
export const VARIADIC_KEYS = -1;

/**
 * One Lua script: its source (embedded from a `.lua` file at build time), its
 * SHA1 and how many of its arguments are keys. Create with {@link defineScript}
 * and run with `RedisConnection.run`.
 */
export class LuaScript {
  /** SHA1 of the source, as `EVALSHA` expects it. */
  readonly sha: string;

  /**
   * @param name - a unique name, `module/file` by convention (e.g. `lock/acquire`)
   * @param source - the Lua source
   * @param numberOfKeys - how many leading arguments are keys (`KEYS[1..n]`), or {@link VARIADIC_KEYS}
   */
  constructor(
    readonly name: string,
    readonly source: string,
    readonly numberOfKeys: number,
  ) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }
}

const registry = new Map<string, LuaScript>();

/**
 * Defines (and registers for `RedisConnection.preload`) a script. Defining the
 * same name twice with a different source is a programming error and throws.
 */
export function defineScript(name: string, source: string, numberOfKeys: number): LuaScript {
  const existing = registry.get(name);
  if (existing) {
    if (existing.source !== source || existing.numberOfKeys !== numberOfKeys) {
      throw new Error(`script ${name} is defined twice with different sources`);
    }
    return existing;
  }
  const script = new LuaScript(name, source, numberOfKeys);
  registry.set(name, script);
  return script;
}

/** Every script defined so far (only the modules actually imported define theirs). */
export function definedScripts(): LuaScript[] {
  return [...registry.values()];
}
