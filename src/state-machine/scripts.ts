// Every Lua script of the module with its contract: keys, argument types, parsed reply.
import type { RedisReply } from '../core/client/types.js';
import { defineScript } from '../core/script.js';
import startSource from './scripts/start.lua';
import transitionSource from './scripts/transition.lua';

/** What `start` and `transition` answer: whether they changed the flow, and the flow's state after the call. */
export interface CasReply {
  /** The flow was created (start) or moved (transition). */
  changed: boolean;
  /** Its state now; `null` when there is no flow. */
  state: string | null;
  /** Its version now; `0` when there is no flow. */
  version: number;
  /** Redis time of the change, or the flow's `updatedAt` when nothing changed; `0` when there is no flow. */
  at: number;
}

function casReply(reply: RedisReply): CasReply {
  if (!Array.isArray(reply)) throw new Error(`expected an array, got ${typeof reply}`);
  const [changed, state, version, at] = reply;
  return { changed: Number(changed) === 1, state: state == null ? null : String(state), version: Number(version), at: Number(at) };
}

export const startScript = defineScript<[initial: string, ttlMs: number, historyLimit: number, ...dataFieldsAndValues: string[]], CasReply>(
  'state-machine/start',
  startSource,
  { keys: 2, parseReply: casReply },
);

export const transitionScript = defineScript<
  [from: string, to: string, ttlMs: number, historyLimit: number, ...dataFieldsAndValues: string[]],
  CasReply
>('state-machine/transition', transitionSource, { keys: 2, parseReply: casReply });
