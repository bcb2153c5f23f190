// Every Lua script of the queue module with its contract: keys, argument types, parsed reply.
import type { RedisReply } from '../core/client/types.js';
import { defineScript } from '../core/script.js';
import { list, type StreamEntry, toEntries } from './job.js';
import ackSource from './scripts/ack.lua';
import addSource from './scripts/add.lua';
import countsSource from './scripts/counts.lua';
import failSource from './scripts/fail.lua';
import priorityAddSource from './scripts/priority-add.lua';
import promoteSource from './scripts/promote.lua';
import reclaimSource from './scripts/reclaim.lua';
import removeConsumersSource from './scripts/remove-consumers.lua';
import retryDeadSource from './scripts/retry-dead.lua';

/** Jobs of a queue by state, from `StreamQueue.counts`. */
export interface QueueCounts {
  /** In the stream, not yet fetched by a worker. */
  waiting: number;
  /** Fetched by a worker and not yet acknowledged (running, or held by a dead worker). */
  pending: number;
  /** Waiting for their `delayMs` / `runAt` or for a retry's backoff. */
  delayed: number;
  /** In the dead-letter stream. */
  dead: number;
}

/** What one pass of promote.lua did. */
export interface Promoted {
  /** Delayed jobs moved into the stream. */
  moved: number;
  /** Ms until the next delayed job is due; `undefined` when none is left. */
  nextDueMs: number | undefined;
}

/** What one pass of reclaim.lua did. */
export interface Reclaimed {
  /** Where the next pass continues (`0-0`: from the start of the pending list). */
  cursor: string;
  /** Entries now held by the caller, to run. */
  claimed: StreamEntry[];
  /** Entries that used their last try by stalling, now in the dead-letter stream (their new fields). */
  deadLettered: StreamEntry[];
}

const count = (reply: RedisReply): number => Number(reply);
const strings = (what: string) => (reply: RedisReply) => list(reply, what).map(String);

/** Per job: the stream entry id, `'delayed'`, or `''` when its job id was taken. */
export const addScript = defineScript<[maxLen: number, jobCount: number, ...jobs: (string | number)[]], string[]>('queue/add', addSource, {
  keys: 3,
  parseReply: strings('queue/add'),
});

export const promoteScript = defineScript<[limit: number, maxLen: number], Promoted>('queue/promote', promoteSource, {
  keys: 2,
  parseReply: (reply) => {
    const [moved, nextDue] = list(reply, 'queue/promote').map(Number);
    return { moved: moved ?? 0, nextDueMs: nextDue === undefined || nextDue < 0 ? undefined : nextDue };
  },
});

/** Acknowledges and deletes `entryCount` entries (the ids after it), then frees the job ids that follow; resolves XACK's count. */
export const ackScript = defineScript<[group: string, entryCount: number, ...entryIdsThenJobIds: string[]], number>(
  'queue/ack',
  ackSource,
  { keys: 2, parseReply: count },
);

/** `true` when recorded; `false` when the entry is no longer the caller's (reclaimed meanwhile). */
export const failScript = defineScript<
  [group: string, consumer: string, entryId: string, outcome: 'retry' | 'dead', delayMs: number, maxLen: number, ...fields: string[]],
  boolean
>('queue/fail', failSource, { keys: 3, parseReply: (reply) => Number(reply) === 1 });

export const reclaimScript = defineScript<[group: string, consumer: string, minIdleMs: number, count: number, cursor: string], Reclaimed>(
  'queue/reclaim',
  reclaimSource,
  {
    keys: 2,
    parseReply: (reply) => {
      const [cursor, claimed, dead] = list(reply, 'queue/reclaim');
      return { cursor: String(cursor), claimed: toEntries(claimed, 'queue/reclaim'), deadLettered: toEntries(dead, 'queue/reclaim') };
    },
  },
);

/** Resolves how many dead letters moved back. */
export const retryDeadScript = defineScript<[count: number, maxLen: number], number>('queue/retry-dead', retryDeadSource, {
  keys: 2,
  parseReply: count,
});

export const countsScript = defineScript<[group: string], QueueCounts>('queue/counts', countsSource, {
  keys: 3,
  parseReply: (reply) => {
    const [waiting = 0, pending = 0, delayed = 0, dead = 0] = list(reply, 'queue/counts').map(Number);
    return { waiting, pending, delayed, dead };
  },
});

/** Resolves the names of the consumers deleted. */
export const removeConsumersScript = defineScript<[group: string, minIdleMs: number, only: string], string[]>(
  'queue/remove-consumers',
  removeConsumersSource,
  { keys: 1, parseReply: strings('queue/remove-consumers') },
);

/** Resolves the sequence number of the first job added (the others follow it). */
export const priorityAddScript = defineScript<[jobCount: number, ...priorityThenPayload: (string | number)[]], number>(
  'queue/priority-add',
  priorityAddSource,
  { keys: 2, parseReply: count },
);
