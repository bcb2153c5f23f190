/**
 * Job queues: {@link StreamQueue} (durable, at-least-once, on a Redis Stream with a consumer
 * group: retries, delays, dead letters, reclaim of stalled jobs) with its {@link Worker},
 * and {@link PriorityQueue} (at-most-once, on a sorted set).
 *
 * @packageDocumentation
 */

export type { DeadJob, Job } from './job.js';
export type { QueueKeys } from './keys.js';
export { type PriorityBulkJob, type PriorityJob, PriorityQueue, type PriorityQueueOptions } from './priority-queue.js';
export type { QueueCounts } from './scripts.js';
export { type AddOptions, type AddResult, type BulkJob, StreamQueue, type StreamQueueOptions } from './stream-queue.js';
export { type CloseResult, type JobHandler, Worker, type WorkerEvents, type WorkerOptions } from './worker.js';
