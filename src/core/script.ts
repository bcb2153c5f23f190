import { createHash } from 'node:crypto';
import type { RedisArg, RedisReply } from './client/types.js';
import coalesceDriver from './lua/coalesce.lua';
import timeFragment from './lua/time.lua';
import type { ScriptErrors } from './reply-errors.js';

/** Options of {@link defineScript}: the script's whole contract with its callers. */
export interface ScriptOptions<R> {
  /**
   * How many leading arguments are keys (`KEYS[1..n]`; per call for a coalesced script), or
   * `'variadic'` for a script that takes any number of keys (at least one), each call its own.
   */
  keys: number | 'variadic';
  /**
   * The script handles one call in `local function call(k, a, res, now_ms, now_us)`, and core
   * appends its driver (`src/core/lua/coalesce.lua`), which runs `call` once per call in call
   * order: concurrent calls share one `EVALSHA` (see `RedisConnectionOptions.coalesceScripts`).
   * A call's keys are `KEYS[k + 1..]`, its arguments `ARGV[a + 1..]`; `call` appends exactly
   * `replyLength` entries to `res`, and each caller gets its own entries (through
   * {@link ScriptOptions.parseReply}). With `readsTime`, the driver reads Redis `TIME` once for
   * all calls and passes it as epoch ms and µs; otherwise both are `nil`.
   *
   * A Redis error inside the script fails every call that shared its `EVALSHA`. Default: not
   * coalesced (one `EVALSHA` per call).
   */
  coalesce?: {
    /** Reply entries per call, the same for every call. */
    replyLength: number;
    /** Whether `call` receives Redis time. Default `false`. */
    readsTime?: boolean;
  };
  /**
   * Turns the raw reply (of a coalesced script: one call's entries, as an array) into what
   * `RedisConnection.run` resolves. A throw becomes a `RedisCommandError`. Default: the raw reply.
   */
  parseReply?: (reply: RedisReply) => R;
  /** The typed errors of the script's `RP_<CODE>` status replies. Default: none. */
  errors?: ScriptErrors;
}

/**
 * One Lua script: its source (embedded from a `.lua` file at build time, includes expanded),
 * its SHA1, and its contract: keys, argument types `A`, reply type `R`, typed errors. Create
 * with {@link defineScript} and run with `RedisConnection.run`.
 */
export class LuaScript<A extends readonly RedisArg[] = readonly RedisArg[], R = RedisReply> {
  /** SHA1 of the source, as `EVALSHA` expects it. */
  readonly sha: string;
  /** Keys per call, or `'variadic'`. */
  readonly keys: number | 'variadic';
  /** Reply entries per call of a coalesced script (see {@link ScriptOptions.coalesce}); `undefined` otherwise. */
  readonly replyLength: number | undefined;
  /** See {@link ScriptOptions.parseReply}. */
  readonly parseReply: ((reply: RedisReply) => R) | undefined;
  /** See {@link ScriptOptions.errors}. */
  readonly errors: ScriptErrors | undefined;
  // Carries the argument types for `run`'s inference; never set.
  declare private readonly argumentTypes?: (args: A) => void;

  /** The Lua source as sent to Redis (inside core's driver when the script coalesces). */
  readonly source: string;

  /**
   * @param name - a unique name, `module/file` (e.g. `lock/acquire`): lowercase letters, digits and dashes around one slash, optionally followed by `#<n>` for a variant of the file (`rate-limit/gcra#2`)
   * @param source - the Lua source
   * @param options - the script's contract (see {@link ScriptOptions})
   */
  constructor(
    /** A unique name, `module/file` (e.g. `lock/acquire`). */
    readonly name: string,
    source: string,
    options: ScriptOptions<R>,
  ) {
    // The name is what errors, traces and `preload` report: it must say which file the script is.
    if (typeof name !== 'string' || !/^[a-z0-9-]+\/[a-z0-9-]+(#[0-9]+)?$/.test(name)) {
      throw new Error(
        `script name ${JSON.stringify(name)} must be 'module/file' (lowercase letters, digits, dashes), optionally '#<n>' for a variant`,
      );
    }
    this.source = options.coalesce ? withDriver(source, options.coalesce.readsTime === true) : source;
    this.sha = createHash('sha1').update(this.source).digest('hex');
    this.keys = options.keys;
    if (this.keys !== 'variadic' && (!Number.isInteger(this.keys) || this.keys < 0)) {
      throw new Error(`script ${name}: keys must be a non-negative integer or 'variadic'`);
    }
    const replyLength = options.coalesce?.replyLength;
    if (replyLength !== undefined) {
      if (!Number.isInteger(replyLength) || replyLength < 1 || this.keys === 'variadic' || this.keys < 1) {
        throw new Error(`script ${name}: a coalesced script needs a fixed number of keys and a positive replyLength`);
      }
    }
    this.replyLength = replyLength;
    this.parseReply = options.parseReply;
    this.errors = options.errors;
  }
}

const registry = new Map<string, LuaScript<readonly RedisArg[], unknown>>();

/**
 * Defines (and registers for `RedisConnection.preload`) a script. `A` types its arguments
 * (per call), `R` what a call resolves (see {@link ScriptOptions.parseReply}). Defining the
 * same name twice with a different source or contract is a programming error and throws.
 *
 * @example
 * const acquire = defineScript<[owner: string, ttlMs: number], boolean>('lock/acquire', source, {
 *   keys: 2,
 *   parseReply: (reply) => reply === 1,
 * });
 * const held = await connection.run(acquire, [lockKey, fenceKey], [owner, 5000]); // boolean
 */
export function defineScript<A extends readonly RedisArg[] = readonly RedisArg[], R = RedisReply>(
  name: string,
  source: string,
  options: ScriptOptions<R>,
): LuaScript<A, R> {
  const script = new LuaScript<A, R>(name, source, options);
  const existing = registry.get(name);
  if (existing) {
    const same =
      existing.source === script.source &&
      existing.keys === script.keys &&
      existing.replyLength === script.replyLength &&
      existing.parseReply === script.parseReply &&
      existing.errors === script.errors;
    if (!same) throw new Error(`script ${name} is defined twice with different sources or contracts`);
    return existing as unknown as LuaScript<A, R>;
  }
  registry.set(name, script as unknown as LuaScript<readonly RedisArg[], unknown>);
  return script;
}

/** Every script defined so far (only the modules actually imported define theirs). */
export function definedScripts(): LuaScript<readonly RedisArg[], unknown>[] {
  return [...registry.values()];
}

// The script's `call`, then the driver that runs it per call (with Redis time when asked for).
function withDriver(source: string, readsTime: boolean): string {
  const clock = readsTime && !source.includes('-- core/lua/time.lua') ? `${timeFragment}\n` : '';
  return `${source}\nlocal coalesce_reads_time = ${readsTime}\n${clock}${coalesceDriver}`;
}
