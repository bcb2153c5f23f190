/** How a board is split over time: one board forever, or a new one every UTC day or ISO week. */
export type LeaderboardPeriod = 'none' | 'daily' | 'weekly';

/** The board of one period: the id used in its key and when the period ends. */
export interface PeriodWindow {
  /** `all`, `2026-11-22` or `2026-W47`. */
  id: string;
  /** Epoch ms at which the period ends (`undefined` for `none`). */
  endsAt?: number;
}

const DAY_MS = 86_400_000;

/**
 * The period containing `at`, in UTC. Weeks are ISO weeks (Monday first; the
 * week belongs to the year of its Thursday), so `2026-W01` may start in December.
 */
export function periodOf(period: LeaderboardPeriod, at: Date): PeriodWindow {
  if (period === 'none') return { id: 'all' };
  // Callers pass a valid Date (Leaderboard validates it); NaN would give a nonsense id.
  const ms = at.getTime();
  const dayStart = Math.floor(ms / DAY_MS) * DAY_MS;
  if (period === 'daily') return { id: new Date(dayStart).toISOString().slice(0, 10), endsAt: dayStart + DAY_MS };
  const weekday = (new Date(dayStart).getUTCDay() + 6) % 7; // Monday = 0
  const monday = dayStart - weekday * DAY_MS;
  const thursday = new Date(monday + 3 * DAY_MS);
  const year = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * DAY_MS)) + 1;
  return { id: `${year}-W${String(week).padStart(2, '0')}`, endsAt: monday + 7 * DAY_MS };
}
