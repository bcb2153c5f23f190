import { Instrument } from '../core/telemetry.js';

/** The leaderboard module's tracing channel (`tracing:redis-patterns:leaderboard:*`). */
export const instrument = new Instrument('leaderboard');
