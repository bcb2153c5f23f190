import type { RedisArg, RedisClient, RedisReply } from './client/types.js';
import { deadlines, type Pending } from './deadlines.js';
import { type Durability, durable } from './durability.js';
import { CommandTimeoutError, RedisCommandError } from './errors.js';
import { isNoScript, toTypedError } from './reply-errors.js';
import type { LuaScript } from './script.js';
import { commandChannel, observeCommand } from './telemetry.js';

type AnyScript = LuaScript<never, unknown>;

/**
 * Most calls one `EVALSHA` carries. Small enough that a burst becomes several batches in
 * flight at once, so Node prepares the next while Redis runs one (one big batch would leave
 * each side idle while the other works); large enough to share Redis's per-command cost.
 */
const MAX_BATCH = 16;

/** One script call waiting for its reply. */
interface Call {
  readonly keys: readonly string[];
  readonly args: readonly RedisArg[];
  readonly resolve: (reply: unknown) => void;
  readonly reject: (err: unknown) => void;
  deadline: Pending | undefined;
  /** Answered, failed or timed out: nothing more reaches the caller. */
  done: boolean;
}

interface Group {
  readonly script: AnyScript;
  readonly calls: Call[];
  readonly durability: Durability | undefined;
}

/**
 * Runs scripts with `EVALSHA`, falling back to `EVAL` on `NOSCRIPT` (restart, failover,
 * `SCRIPT FLUSH`) for the calls still waiting, and turns replies into each script's result
 * type and error replies into its typed errors. Calls of a coalesced script (see
 * `ScriptOptions.coalesce`) made in the same tick are sent together, up to {@link MAX_BATCH}
 * per `EVALSHA` and grouped by hash tag on a cluster: one command, one script run and one
 * reply for all of them.
 */
export class ScriptRunner {
  private pending = new Map<string, Group>();
  private scheduled = false;

  constructor(
    private readonly client: RedisClient,
    private readonly coalescing: boolean,
  ) {}

  run<A extends readonly RedisArg[], R>(
    script: LuaScript<A, R>,
    keys: readonly string[],
    args: A,
    ms: number,
    durability?: Durability,
  ): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const call: Call = { keys, args, resolve: resolve as (reply: unknown) => void, reject, deadline: undefined, done: false };
      if (ms > 0) {
        call.deadline = deadlines.add(ms, () => {
          if (call.done) return;
          call.done = true;
          reject(new CommandTimeoutError(ms, `script ${script.name}`));
        });
      }
      const any = script as unknown as AnyScript;
      if (!this.coalescing || script.replyLength === undefined) return this.execute(any, [call], false, durability);
      // One batch needs the same number of arguments per call, one slot on a cluster, one durability.
      let id = `${script.name}\n${args.length}`;
      if (this.client.isCluster) id += `\n${hashTag(keys[0] as string)}`;
      if (durability) id += `\n${durability.replicas}/${durability.waitMs}`;
      const group = this.pending.get(id);
      if (group) group.calls.push(call);
      else this.pending.set(id, { script: any, calls: [call], durability });
      if (!this.scheduled) {
        this.scheduled = true;
        // After the current tick's promise jobs: every call a burst of replies triggers joins.
        process.nextTick(this.flush);
      }
    });
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const groups = this.pending;
    this.pending = new Map();
    for (const { script, calls, durability } of groups.values()) {
      for (let i = 0; i < calls.length; i += MAX_BATCH) this.execute(script, calls.slice(i, i + MAX_BATCH), false, durability);
    }
  };

  private execute(script: AnyScript, calls: Call[], useEval: boolean, durability: Durability | undefined): void {
    // A retry runs only calls whose callers still wait: a timed-out caller already has its answer.
    const live = useEval ? calls.filter((c) => !c.done) : calls;
    const first = live[0];
    if (!first) return;
    const length = script.replyLength;
    const route = first.keys[0];
    const command = commandArgs(script, live, useEval);
    let sent = durability ? durable(this.client, command, route, durability) : this.client.send(command, route);
    if (commandChannel.hasSubscribers) sent = observeCommand(sent, 'script', script.name, live.length, useEval);
    sent.then(
      (reply) => {
        if (length === undefined) succeed(script, first, reply);
        else distribute(script, live, reply, length);
      },
      (err) => {
        if (!useEval && isNoScript(err)) return this.execute(script, live, true, durability);
        const typed = toTypedError(err, script.errors);
        for (const call of live) fail(call, typed);
      },
    );
  }
}

// A plain script gets its call's keys and arguments; a coalesced one the layout its driver reads
// (src/core/lua/coalesce.lua): every call's keys, then the number of calls and every call's arguments.
function commandArgs(script: AnyScript, calls: readonly Call[], useEval: boolean): RedisArg[] {
  const argv: RedisArg[] = [useEval ? 'EVAL' : 'EVALSHA', useEval ? script.source : script.sha, 0];
  for (const call of calls) for (const key of call.keys) argv.push(key);
  argv[2] = argv.length - 3;
  if (script.replyLength !== undefined) argv.push(calls.length);
  for (const call of calls) for (const arg of call.args) argv.push(arg);
  return argv;
}

function distribute(script: AnyScript, calls: readonly Call[], reply: RedisReply, length: number): void {
  if (!Array.isArray(reply) || reply.length !== calls.length * length) {
    const got = Array.isArray(reply) ? `${reply.length} entries` : typeof reply;
    const err = new RedisCommandError(`script ${script.name} answered ${got} for ${calls.length} calls of ${length}`);
    for (const call of calls) fail(call, err);
    return;
  }
  for (let i = 0; i < calls.length; i++) succeed(script, calls[i] as Call, reply.slice(i * length, (i + 1) * length));
}

function finish(call: Call): boolean {
  if (call.done) return false;
  // Stryker disable next-line BooleanLiteral: equivalent, a call gets one reply or error, and a timed-out one was marked done by its expiry
  call.done = true;
  if (call.deadline) deadlines.settle(call.deadline);
  return true;
}

function succeed(script: AnyScript, call: Call, reply: RedisReply): void {
  if (!finish(call)) return;
  const parse = script.parseReply;
  if (!parse) {
    call.resolve(reply);
    return;
  }
  let result: unknown;
  try {
    result = parse(reply);
  } catch (err) {
    call.reject(new RedisCommandError(`script ${script.name} answered an unexpected reply: ${(err as Error).message}`, { cause: err }));
    return;
  }
  call.resolve(result);
}

function fail(call: Call, err: unknown): void {
  if (finish(call)) call.reject(err);
}

/** The part of `key` Redis Cluster hashes: the first non-empty `{...}`, else the whole key. */
export function hashTag(key: string): string {
  const open = key.indexOf('{');
  if (open === -1) return key;
  const close = key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}
