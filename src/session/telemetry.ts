import { Instrument } from '../core/telemetry.js';

/** The session module's tracing channel (`tracing:redis-patterns:session:*`). */
export const instrument = new Instrument('session');
