import { createHash } from 'node:crypto';

/** `numberOfKeys` of a script that takes any number of keys (at least one); each call passes its own. */
export const VARIADIC_KEYS = -1;

/** Options of {@link defineScript}. */
export interface ScriptOptions {
  /**
   * The script runs a batch of calls per `EVALSHA`, so concurrent calls can share one
   * (see `RedisConnectionOptions.batchScripts`). Such a script always receives this layout,
   * also for a single call:
   * - `KEYS`: the keys of call 1, then of call 2, ... (the same number per call);
   * - `ARGV[1]`: the number of calls `n`; then the arguments of call 1, of call 2, ... (the
   *   same number per call);
   * - reply: one flat array, `replyLength` entries per call, in call order.
   *
   * Each caller gets its own `replyLength` entries as an array. The script reads `TIME` once
   * for the whole batch and spends Redis's per-command cost once: that is the saving. A Redis
   * error inside the script fails every call of its batch. Default: not batched.
   */
  batch?: {
    /** Reply entries per call, the same for every call. */
    replyLength: number;
  };
}

/**
 * One Lua script: its source (embedded from a `.lua` file at build time), its
 * SHA1 and how many of its arguments are keys. Create with {@link defineScript}
 * and run with `RedisConnection.run`.
 */
export class LuaScript {
  /** SHA1 of the source, as `EVALSHA` expects it. */
  readonly sha: string;
  /** Reply entries per call of a batched script (see {@link ScriptOptions.batch}); `undefined` otherwise. */
  readonly batchReplyLength: number | undefined;

  /**
   * @param name - a unique name, `module/file` by convention (e.g. `lock/acquire`)
   * @param source - the Lua source
   * @param numberOfKeys - how many leading arguments are keys (`KEYS[1..n]`; per call for a batched
   *   script), or {@link VARIADIC_KEYS}
   * @param options - see {@link ScriptOptions}
   */
  constructor(
    readonly name: string,
    readonly source: string,
    readonly numberOfKeys: number,
    options: ScriptOptions = {},
  ) {
    this.sha = createHash('sha1').update(source).digest('hex');
    const replyLength = options.batch?.replyLength;
    if (replyLength !== undefined && (!Number.isInteger(replyLength) || replyLength < 1 || numberOfKeys < 1)) {
      throw new Error(`script ${name}: a batched script needs a fixed number of keys and a positive replyLength`);
    }
    this.batchReplyLength = replyLength;
  }
}

const registry = new Map<string, LuaScript>();

/**
 * Defines (and registers for `RedisConnection.preload`) a script. Defining the
 * same name twice with a different source is a programming error and throws.
 */
export function defineScript(name: string, source: string, numberOfKeys: number, options: ScriptOptions = {}): LuaScript {
  const existing = registry.get(name);
  if (existing) {
    if (existing.source !== source || existing.numberOfKeys !== numberOfKeys || existing.batchReplyLength !== options.batch?.replyLength) {
      throw new Error(`script ${name} is defined twice with different sources`);
    }
    return existing;
  }
  const script = new LuaScript(name, source, numberOfKeys, options);
  registry.set(name, script);
  return script;
}

/** Every script defined so far (only the modules actually imported define theirs). */
export function definedScripts(): LuaScript[] {
  return [...registry.values()];
}
