// Every Lua script of the queue module with its contract: keys, argument types, parsed reply.
// Scripts that include scripts/includes/keys.lua take every key of the queue (keys.ts, keyList).
import type { RedisReply } from '../core/client/types.js';
import { defineScript } from '../core/script.js';
import { list, type StreamEntry, toEntries } from './job.js';
import ackSource from './scripts/ack.lua';
import addSource from './scripts/add.lua';
import countsSource from './scripts/counts.lua';
import dueSchedulesSource from './scripts/due-schedules.lua';
import emitSource from './scripts/emit.lua';
import failSource from './scripts/fail.lua';
import fetchSource from './scripts/fetch.lua';
import fireSchedulesSource from './scripts/fire-schedules.lua';
import getJobSource from './scripts/get-job.lua';
import heartbeatSource from './scripts/heartbeat.lua';
import listDelayedSource from './scripts/list-delayed.lua';
import pauseSource from './scripts/pause.lua';
import priorityAddSource from './scripts/priority-add.lua';
import progressSource from './scripts/progress.lua';
import promoteSource from './scripts/promote.lua';
import reclaimSource from './scripts/reclaim.lua';
import removeConsumersSource from './scripts/remove-consumers.lua';
import removeScheduleSource from './scripts/remove-schedule.lua';
import retryDeadSource from './scripts/retry-dead.lua';
import sweepSource from './scripts/sweep.lua';
import upsertScheduleSource from './scripts/upsert-schedule.lua';

/** How many keys the scripts that include `scripts/includes/keys.lua` take. */
const ALL = 16;

/** Jobs of a queue by state, from `StreamQueue.counts`. */
export interface QueueCounts {
  /** Ready and not yet fetched by a worker (in a queue with priorities: prioritized). */
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
  /** Ms until the next delayed job is due; `undefined` when none is left. */
  nextDueMs: number | undefined;
  /** Whether the queue is paused. */
  paused: boolean;
  /** Ms until the next schedule is due; `undefined` when there is none. */
  nextScheduleMs: number | undefined;
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

/** What fetch.lua answered. */
export type Fetched =
  | { kind: 'ok'; entries: StreamEntry[] }
  | { kind: 'paused' }
  | { kind: 'full'; retryMs: number; lastSignal: string }
  | { kind: 'empty'; lastEntry: string; lastSignal: string };

/** One due schedule as due-schedules.lua read it. */
export interface DueSchedule {
  id: string;
  /** Its due time as Redis stored it (compared as a string by fire-schedules.lua). */
  due: string;
  spec: string;
}

const count = (reply: RedisReply): number => Number(reply);
const strings = (what: string) => (reply: RedisReply) => list(reply, what).map(String);

/** Per job: the stream entry id, `'delayed'`, `'p'` (prioritized), or `''` when its job id was taken. */
export const addScript = defineScript<
  [
    maxLen: number,
    priorities: number,
    eventsMaxLen: number,
    channel: string,
    publishFlag: '1' | '0',
    jobCount: number,
    ...jobs: (string | number)[],
  ],
  string[]
>('queue/add', addSource, { keys: ALL, parseReply: strings('queue/add') });

export const promoteScript = defineScript<[limit: number, maxLen: number, priorities: number], Promoted>('queue/promote', promoteSource, {
  keys: ALL,
  parseReply: (reply) => {
    // Stryker disable next-line StringLiteral: equivalent, the label only names a reply shape the script never gives (it always answers an array)
    const [nextDue, paused, nextSchedule] = list(reply, 'queue/promote').map(Number);
    const ms = (n: number | undefined) => (n === undefined || n < 0 ? undefined : n);
    return { nextDueMs: ms(nextDue), paused: paused === 1, nextScheduleMs: ms(nextSchedule) };
  },
});

/** Completes a batch (see ack.lua for the argument layout); resolves XACK's count. */
export const ackScript = defineScript<
  [group: string, limited: number, eventsMaxLen: number, keepCount: number, keepAgeMs: number, ...rest: (string | number)[]],
  number
>('queue/ack', ackSource, { keys: ALL, parseReply: count });

/** `true` when recorded; `false` when the entry is no longer the caller's (reclaimed meanwhile). */
export const failScript = defineScript<
  [
    group: string,
    consumer: string,
    entryId: string,
    outcome: 'retry' | 'dead' | 'defer',
    delayMs: number,
    maxLen: number,
    priorities: number,
    limited: number,
    eventsMaxLen: number,
    deadMaxLen: number,
    jobId: string,
    message: string,
    ...fields: string[],
  ],
  boolean
>('queue/fail', failSource, { keys: ALL, parseReply: (reply) => Number(reply) === 1 });

export const reclaimScript = defineScript<
  [
    group: string,
    consumer: string,
    minIdleMs: number,
    count: number,
    cursor: string,
    limit: number,
    leaseMs: number,
    deadMaxLen: number,
    eventsMaxLen: number,
  ],
  Reclaimed
>('queue/reclaim', reclaimSource, {
  keys: ALL,
  parseReply: (reply) => {
    // Stryker disable next-line StringLiteral: equivalent, the label only names a reply shape the script never gives (it always answers an array)
    const [cursor, claimed, dead] = list(reply, 'queue/reclaim');
    // Stryker disable next-line StringLiteral: equivalent, the labels only name a reply shape the script never gives (it always answers an array of three)
    return { cursor: String(cursor), claimed: toEntries(claimed, 'queue/reclaim'), deadLettered: toEntries(dead, 'queue/reclaim') };
  },
});

export const fetchScript = defineScript<
  [group: string, consumer: string, count: number, limit: number, leaseMs: number, priorities: number],
  Fetched
>('queue/fetch', fetchSource, {
  keys: ALL,
  parseReply: (reply) => {
    // Stryker disable next-line StringLiteral: equivalent, the label only names a reply shape the script never gives (it always answers an array)
    const [kind, a, b] = list(reply, 'queue/fetch');
    switch (String(kind)) {
      case 'ok':
        return { kind: 'ok', entries: toEntries(a, 'queue/fetch') };
      case 'paused':
        return { kind: 'paused' };
      case 'full':
        return { kind: 'full', retryMs: Number(a), lastSignal: String(b) };
      default:
        // Stryker disable next-line StringLiteral: equivalent, nothing reads the kind 'empty': every kind but 'paused' and 'full' waits for a new entry or a signal
        return { kind: 'empty', lastEntry: String(a), lastSignal: String(b) };
    }
  },
});

/** Resolves the entry ids the consumer no longer holds (another worker reclaimed them, or they are done). */
export const heartbeatScript = defineScript<[group: string, consumer: string, leaseMs: number, ...entryIds: string[]], string[]>(
  'queue/heartbeat',
  heartbeatSource,
  // Stryker disable next-line StringLiteral: equivalent, the label only names a reply shape the script never gives (it always answers an array)
  { keys: ALL, parseReply: strings('queue/heartbeat') },
);

/** Resolves how many dead letters moved back. */
export const retryDeadScript = defineScript<[count: number, maxLen: number, priorities: number], number>(
  'queue/retry-dead',
  retryDeadSource,
  {
    keys: ALL,
    parseReply: count,
  },
);

/** Counts per state, and the id of the last event (for `whenDrained` to read after). */
export const countsScript = defineScript<[group: string], QueueCounts & { lastEvent: string }>('queue/counts', countsSource, {
  keys: ALL,
  parseReply: (reply) => {
    // Stryker disable next-line StringLiteral: equivalent, the label only names a reply shape the script never gives (it always answers an array)
    const raw = list(reply, 'queue/counts');
    // Stryker disable next-line MethodExpression: equivalent, only the first four values are read; Number of the fifth (the event id) is dropped either way
    const [waiting = 0, pending = 0, delayed = 0, dead = 0] = raw.slice(0, 4).map(Number);
    // Stryker disable next-line StringLiteral: equivalent, counts.lua always answers a fifth entry (the last event id, 0-0 when none)
    return { waiting, pending, delayed, dead, lastEvent: String(raw[4] ?? '0-0') };
  },
});

export const getJobScript = defineScript<[group: string, jobId: string], RedisReply>('queue/get-job', getJobSource, { keys: ALL });

export const listDelayedScript = defineScript<[offset: number, count: number], { total: number; page: [string, number, string[]][] }>(
  'queue/list-delayed',
  listDelayedSource,
  {
    keys: ALL,
    parseReply: (reply) => {
      // Stryker disable next-line StringLiteral: equivalent, the label only names a reply shape the script never gives (it always answers an array)
      const [total, ...rows] = list(reply, 'queue/list-delayed');
      return {
        total: Number(total),
        page: rows.map((row) => {
          // Stryker disable next-line StringLiteral: equivalent, the label only names a reply shape the script never gives (it always answers an array)
          const [id, due, fields] = list(row, 'queue/list-delayed');
          // Stryker disable next-line StringLiteral: equivalent, the label only names a reply shape the script never gives (it always answers an array)
          return [String(id), Number(due), list(fields, 'queue/list-delayed').map(String)];
        }),
      };
    },
  },
);

export const progressScript = defineScript<[jobId: string, progress: string, eventsMaxLen: number], number>(
  'queue/progress',
  progressSource,
  {
    keys: ALL,
    parseReply: count,
  },
);

export const emitScript = defineScript<[eventsMaxLen: number, event: string, consumer: string, ...jobIds: string[]], number>(
  'queue/emit',
  emitSource,
  { keys: ALL, parseReply: count },
);

/** `true` when the state changed. */
export const pauseScript = defineScript<
  [action: 'pause' | 'resume', channel: string, eventsMaxLen: number, publishFlag: '1' | '0'],
  boolean
>('queue/pause', pauseSource, {
  keys: ALL,
  parseReply: (reply) => Number(reply) === 1,
});

/** Resolves the next cursor (`'0'`: the walk is complete) and how many ids it freed. */
export const sweepScript = defineScript<[cursor: string, count: number], { cursor: string; freed: number }>('queue/sweep', sweepSource, {
  keys: ALL,
  parseReply: (reply) => {
    // Stryker disable next-line StringLiteral: equivalent, the label only names a reply shape the script never gives (it always answers an array)
    const [cursor, freed] = list(reply, 'queue/sweep');
    return { cursor: String(cursor), freed: Number(freed) };
  },
});

/** `true` when created or changed. */
export const upsertScheduleScript = defineScript<[id: string, spec: string, firstRunMs: number], boolean>(
  'queue/upsert-schedule',
  upsertScheduleSource,
  { keys: ALL, parseReply: (reply) => Number(reply) === 1 },
);

/** `true` when it existed. */
export const removeScheduleScript = defineScript<[id: string], boolean>('queue/remove-schedule', removeScheduleSource, {
  keys: ALL,
  parseReply: (reply) => Number(reply) === 1,
});

export const dueSchedulesScript = defineScript<[limit: number], { now: number; nextInMs: number | undefined; due: DueSchedule[] }>(
  'queue/due-schedules',
  dueSchedulesSource,
  {
    keys: ALL,
    parseReply: (reply) => {
      // Stryker disable next-line StringLiteral: equivalent, the label only names a reply shape the script never gives (it always answers an array)
      const [now, next, ...rows] = list(reply, 'queue/due-schedules');
      return {
        now: Number(now),
        nextInMs: Number(next) < 0 ? undefined : Number(next),
        due: rows.map((row) => {
          const [id, due, spec] = list(row, 'queue/due-schedules').map(String) as [string, string, string];
          return { id, due, spec };
        }),
      };
    },
  },
);

/** Resolves how many jobs were enqueued. */
export const fireSchedulesScript = defineScript<
  [maxLen: number, priorities: number, eventsMaxLen: number, count: number, ...schedules: (string | number)[]],
  number
>('queue/fire-schedules', fireSchedulesSource, { keys: ALL, parseReply: count });

/** Resolves the names of the consumers deleted. */
export const removeConsumersScript = defineScript<[group: string, minIdleMs: number, only: string], string[]>(
  'queue/remove-consumers',
  removeConsumersSource,
  // Stryker disable next-line StringLiteral: equivalent, the label only names a reply shape the script never gives (it always answers an array)
  { keys: 1, parseReply: strings('queue/remove-consumers') },
);

/** Resolves the sequence number of the first job added (the others follow it). */
export const priorityAddScript = defineScript<[jobCount: number, ...priorityThenPayload: (string | number)[]], number>(
  'queue/priority-add',
  priorityAddSource,
  { keys: 2, parseReply: count },
);
