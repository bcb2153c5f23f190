/**
 * Job queues: {@link StreamQueue} (durable, at-least-once, on a Redis Stream with a consumer
 * group: retries, delays, dead letters, reclaim of stalled jobs, pause and resume, job
 * inspection, progress and events, queue-wide concurrency and rate limits, durable
 * priorities, cron and interval schedules) with its {@link Worker} and {@link QueueEvents},
 * and {@link PriorityQueue} (at-most-once, on a sorted set).
 *
 * @packageDocumentation
 */

export type { ActiveJob, DeadJob, Job } from './job.js';
export type { JobInfo, JobState } from './job-info.js';
export type { QueueKeys } from './keys.js';
export { type PriorityBulkJob, type PriorityJob, PriorityQueue, type PriorityQueueOptions } from './priority-queue.js';
export {
  type ActiveEvent,
  type AddedEvent,
  type CompletedEvent,
  type DeadLetteredEvent,
  type FailedEvent,
  type JobEvent,
  type ProgressEvent,
  type QueueEvent,
  type QueueEventMap,
  QueueEvents,
  type QueueEventsOptions,
  type RetryingEvent,
} from './queue-events.js';
export { MAX_GROUP_BYTES, type RateLimit } from './rate-gate.js';
export { MIN_EVERY_MS, type ScheduleInfo, type ScheduleTiming } from './schedules.js';
export type { QueueCounts } from './scripts.js';
export {
  type AddOptions,
  type AddResult,
  type BulkJob,
  type DeadPage,
  type DelayedJob,
  type DelayedPage,
  type EventsOptions,
  type KeepCompletedOptions,
  type ListDeadOptions,
  MAX_GLOBAL_CONCURRENCY,
  MAX_PAGE,
  MAX_PRIORITY,
  MAX_RETAINED,
  type ScheduledJob,
  StreamQueue,
  type StreamQueueOptions,
} from './stream-queue.js';
export { type CloseResult, type JobHandler, Worker, type WorkerEvents, type WorkerOptions } from './worker.js';
