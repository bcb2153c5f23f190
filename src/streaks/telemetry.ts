import { Instrument } from '../core/telemetry.js';

/** The streaks module's tracing channel (`tracing:redis-patterns:streaks:*`). */
export const instrument = new Instrument('streaks');
