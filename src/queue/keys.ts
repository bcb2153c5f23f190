import type { RedisConnection } from '../core/connection.js';

/**
 * The keys of one queue. All share the queue name as hash tag, so every script touches one
 * slot on a cluster. They live as long as the queue is used (no TTL), and each holds only live
 * work or is capped: see docs/queue.md, "Keys".
 */
export interface QueueKeys {
  /** Stream of jobs ready to run or running (entries are deleted on completion). */
  stream: string;
  /** Sorted set of delayed jobs and retries waiting out their backoff: job id scored by due time. */
  delayed: string;
  /** Stream of jobs that used all their tries, capped at the queue's `deadLetterMaxLen`. */
  dead: string;
  /** Hash: id of a live job that is not at its first try's entry (or has an id of its own) → where it is. */
  ids: string;
  /** Hash: id of a delayed or prioritized job → its fields. */
  payloads: string;
  /** Sorted set of prioritized jobs waiting (a queue with `priorities`), scored by priority. */
  prioritized: string;
  /** Counter that keeps equal priorities in the order they were added. */
  prioritySeq: string;
  /** Stream of one entry that wakes workers waiting for a prioritized job or a free slot. */
  signal: string;
  /** Sorted set of leases of running jobs under a queue-wide concurrency limit, scored by expiry. */
  active: string;
  /** Present while the queue is paused. */
  paused: string;
  /** Hash: job id → its progress, while the job is live. */
  progress: string;
  /** Stream of queue events, capped (only with `events` on). */
  events: string;
  /** Hash: job id → a retained completed job (only with `keepCompleted`). */
  completed: string;
  /** Sorted set: retained completed job id → completion time. */
  completedAt: string;
  /** Hash: schedule id → its spec. */
  schedules: string;
  /** Sorted set: schedule id → its next run. */
  scheduleDue: string;
}

/** Builds the {@link QueueKeys} of queue `name`. */
export function queueKeys(connection: RedisConnection, name: string): QueueKeys {
  const ks = connection.keys('queue', { durable: true });
  return {
    stream: ks.key(name, 'stream'),
    delayed: ks.key(name, 'delayed'),
    dead: ks.key(name, 'dead'),
    ids: ks.key(name, 'ids'),
    payloads: ks.key(name, 'payloads'),
    prioritized: ks.key(name, 'prioritized'),
    prioritySeq: ks.key(name, 'prioritized-seq'),
    signal: ks.key(name, 'signal'),
    active: ks.key(name, 'active'),
    paused: ks.key(name, 'paused'),
    progress: ks.key(name, 'progress'),
    events: ks.key(name, 'events'),
    completed: ks.key(name, 'completed'),
    completedAt: ks.key(name, 'completed-at'),
    schedules: ks.key(name, 'schedules'),
    scheduleDue: ks.key(name, 'schedule-due'),
  };
}

/** The keys in the order every script that includes `scripts/includes/keys.lua` takes them. */
export function keyList(k: QueueKeys): string[] {
  return [
    k.stream,
    k.delayed,
    k.dead,
    k.ids,
    k.payloads,
    k.prioritized,
    k.prioritySeq,
    k.signal,
    k.active,
    k.paused,
    k.progress,
    k.events,
    k.completed,
    k.completedAt,
    k.schedules,
    k.scheduleDue,
  ];
}

/** The queue's pub/sub channel: `pause`, `resume`, and `due` when a delayed job became the earliest. */
export function controlChannel(k: QueueKeys): string {
  return `${k.stream}:control`;
}
