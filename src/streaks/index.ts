/**
 * Activity streaks per user and kind: consecutive days or ISO weeks in the user's
 * time zone, current and longest streak, optional grace, one round trip per record.
 *
 * @packageDocumentation
 */

export { periodIndex, periodLabel, type StreakPeriod } from './periods.js';
export { type RecordResult, type StreakCallOptions, type StreakState, Streaks, type StreaksOptions } from './streaks.js';
