/**
 * Leaderboards on a sorted set: add / increment, rank, top, around, paging,
 * ties broken by who reached the score first, optional daily / weekly boards
 * that expire by themselves.
 *
 * @packageDocumentation
 */
export {
  Leaderboard,
  type LeaderboardEntry,
  type LeaderboardOptions,
  type LeaderboardPage,
  MAX_LEADERBOARD_PAGE,
  type PeriodSelector,
} from './leaderboard.js';
export { type LeaderboardPeriod, type PeriodWindow, periodOf } from './period.js';
