import { Instrument } from '../core/telemetry.js';

/** The feed module's tracing channel (`tracing:redis-patterns:feed:*`). */
export const instrument = new Instrument('feed');
