// Repeatable jobs: a schedule (a cron pattern in a time zone, or a fixed interval) and the job
// it enqueues at each run. Specs live in Redis, so every instance fires the same job whatever
// code it runs; the next run is computed here (cron needs the calendar and the time zone) and
// fire-schedules.lua applies it only if nobody fired that run already.
import { Cron } from 'croner';
import { ValidationError } from '../core/errors.js';
import { assertInRange, assertKeyPart, assertPositiveInteger } from '../core/validation.js';

/** When a schedule runs: a cron pattern (optionally in a time zone), or every `everyMs`. */
export interface ScheduleTiming {
  /**
   * A cron pattern: five fields (minute hour day month weekday), or six with seconds first
   * (`'*\/10 * * * * *'`: every 10 seconds). Read by croner. Give this or `everyMs`.
   */
  cron?: string;
  /** The IANA time zone the pattern is read in (`'Europe/Paris'`). Default: UTC. */
  timeZone?: string;
  /** A fixed interval in ms (integer, >= 1000), counted from `startAt`. Give this or `cron`. */
  everyMs?: number;
  /** First run of an interval schedule, ms since the epoch (or a `Date`). Default: now + `everyMs`. */
  startAt?: Date | number;
}

/** A schedule as stored: its timing and the job it enqueues. */
export interface ScheduleInfo {
  /** The schedule's id. */
  readonly id: string;
  /** Its cron pattern, when it has one. */
  readonly cron?: string;
  /** Its time zone, with a cron pattern. */
  readonly timeZone?: string;
  /** Its interval, when it has one. */
  readonly everyMs?: number;
  /** Name of the job it enqueues. */
  readonly jobName: string;
  /** When it runs next (ms since the epoch). */
  readonly nextRunAt: number | undefined;
}

/** The stored spec: short keys, fixed order, so that equal declarations give equal JSON. */
export interface ScheduleSpec {
  c?: string;
  z?: string;
  e?: number;
  /** The job's entry fields (name, data, attempts, ...), without an id. */
  f: string[];
}

/** Smallest interval: a schedule faster than every second belongs in a loop, not in a queue. */
export const MIN_EVERY_MS = 1000;

// Runs missed for longer than this (no instance was running) are skipped, but the oldest one.
const CATCH_UP_MS = 60_000;

/** Validates a timing and returns its stored part. */
export function toTiming(timing: ScheduleTiming): { c?: string; z?: string; e?: number } {
  if (timing === null || typeof timing !== 'object') throw new ValidationError('timing', 'must be an object');
  const { cron, timeZone, everyMs } = timing;
  if ((cron === undefined) === (everyMs === undefined)) throw new ValidationError('timing', 'give either cron or everyMs');
  if (cron !== undefined) {
    assertKeyPart('timing.cron', cron);
    if (timeZone !== undefined) assertKeyPart('timing.timeZone', timeZone);
    try {
      // Stryker disable next-line BooleanLiteral: equivalent, croner starts a timer only for a job given a function
      new Cron(cron, { paused: true, ...(timeZone ? { timezone: timeZone } : {}) }).nextRun();
    } catch (err) {
      throw new ValidationError(
        timeZone !== undefined && /timezone/i.test(String(err)) ? 'timing.timeZone' : 'timing.cron',
        (err as Error).message,
      );
    }
    return timeZone === undefined ? { c: cron } : { c: cron, z: timeZone };
  }
  if (timeZone !== undefined) throw new ValidationError('timing.timeZone', 'applies to cron only');
  assertPositiveInteger('timing.everyMs', everyMs);
  assertInRange('timing.everyMs', everyMs, MIN_EVERY_MS, Number.MAX_SAFE_INTEGER);
  return { e: everyMs };
}

/** The first run of a timing, from `now` (ms). */
export function firstRun(spec: ScheduleSpec, timing: ScheduleTiming, now: number): number {
  if (spec.e !== undefined) {
    const start = timing.startAt instanceof Date ? timing.startAt.getTime() : timing.startAt;
    return start !== undefined && Number.isFinite(start) ? start : now + spec.e;
  }
  return cronAfter(spec, now);
}

/**
 * The run after `due`, given Redis time `now`: the next tick, except that ticks missed for
 * more than a minute (no instance running) are skipped rather than fired one after another.
 */
export function runAfter(spec: ScheduleSpec, due: number, now: number): number {
  const from = Math.max(due, now - CATCH_UP_MS);
  if (spec.e !== undefined) {
    const every = spec.e;
    return due + Math.max(1, Math.ceil((from + 1 - due) / every)) * every;
  }
  return cronAfter(spec, from);
}

function cronAfter(spec: ScheduleSpec, after: number): number {
  // Without a time zone croner reads the pattern in the process's own: UTC, as documented.
  // Stryker disable next-line BooleanLiteral: equivalent, croner starts a timer only for a job given a function
  const next = new Cron(spec.c as string, { paused: true, timezone: spec.z ?? 'UTC' }).nextRun(new Date(after));
  // A pattern with no future run (a date in the past): never again.
  return next ? next.getTime() : Number.MAX_SAFE_INTEGER;
}

/** Reads a stored spec; `undefined` for anything unreadable. */
export function parseSpec(text: string): ScheduleSpec | undefined {
  try {
    const spec = JSON.parse(text) as ScheduleSpec;
    // Stryker disable next-line OptionalChaining: equivalent, a `null` spec throws here instead, inside the try: undefined either way
    return Array.isArray(spec?.f) ? spec : undefined;
  } catch {
    return undefined;
  }
}

/** The job id of one run: stable, so a run enqueued twice would be deduplicated. */
export function runJobId(scheduleId: string, due: string): string {
  return `schedule:${scheduleId}:${due}`;
}
