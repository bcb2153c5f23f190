import { ValidationError } from '../core/errors.js';

/** The length of one streak step: a calendar day or an ISO 8601 week (Monday to Sunday). */
export type StreakPeriod = 'day' | 'week';

const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  // Stryker disable next-line ConditionalExpression: equivalent, the cache only saves building a formatter per call
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: 'numeric', day: 'numeric' });
    } catch {
      throw new ValidationError('timeZone', `unknown IANA time zone ${JSON.stringify(timeZone)}`);
    }
    formatters.set(timeZone, f);
  }
  return f;
}

/**
 * The civil date of `at` in `timeZone`, as days since 1970-01-01. Going through the
 * local calendar date (rather than offsetting milliseconds) keeps days that are 23 or
 * 25 hours long at a DST change one period each.
 */
function localDayIndex(at: Date, timeZone: string): number {
  let year = 0;
  let month = 0;
  let day = 0;
  for (const part of formatter(timeZone).formatToParts(at)) {
    if (part.type === 'year') year = Number(part.value);
    else if (part.type === 'month') month = Number(part.value);
    else if (part.type === 'day') day = Number(part.value);
  }
  // Date.UTC maps years 0..99 to 1900..1999; setUTCFullYear does not.
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  return Math.floor(d.getTime() / DAY_MS);
}

/**
 * The period index of `at` in `timeZone`: consecutive periods differ by exactly 1,
 * across month, year and DST boundaries. Weeks are ISO weeks; 1970-01-01 was a
 * Thursday, so Monday-based weeks start 3 days before it.
 */
export function periodIndex(period: StreakPeriod, at: Date, timeZone: string): number {
  const day = localDayIndex(at, timeZone);
  return period === 'day' ? day : Math.floor((day + 3) / 7);
}

/** A readable name for a period index: `2026-03-08` for a day, `2026-W53` for an ISO week. */
export function periodLabel(period: StreakPeriod, index: number): string {
  if (period === 'day') return new Date(index * DAY_MS).toISOString().slice(0, 10);
  // Week `index` runs from day index*7-3 (Monday) to index*7+3; its ISO year is the year of its Thursday.
  const thursday = new Date(index * 7 * DAY_MS);
  const year = thursday.getUTCFullYear();
  const jan1 = Date.UTC(year, 0, 1);
  const week = Math.floor((thursday.getTime() - jan1) / DAY_MS / 7) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}
