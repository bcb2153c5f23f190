import { ValidationError } from '../core/errors.js';

/** A calendar day: a `Date` (its UTC day is used) or a `YYYY-MM-DD` string. */
export type DayLike = Date | string;

/** Milliseconds in a UTC day. */
export const DAY_MS = 86_400_000;
const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Epoch ms of the start (00:00 UTC) of `day`; throws {@link ValidationError} for anything else. */
export function dayStart(field: string, day: DayLike): number {
  if (day instanceof Date) {
    const ms = day.getTime();
    if (Number.isNaN(ms)) throw new ValidationError(field, 'must be a valid Date');
    return ms - (((ms % DAY_MS) + DAY_MS) % DAY_MS);
  }
  const m = typeof day === 'string' ? ISO_DAY.exec(day) : null;
  if (!m) throw new ValidationError(field, 'must be a Date or a YYYY-MM-DD string');
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  // Date.UTC rolls 2026-02-30 over into March; a round trip catches that.
  if (new Date(ms).toISOString().slice(0, 10) !== day) throw new ValidationError(field, `${day} is not a calendar day`);
  return ms;
}

/** `YYYY-MM-DD` of the day starting at `startMs`. */
export function dayId(startMs: number): string {
  return new Date(startMs).toISOString().slice(0, 10);
}
