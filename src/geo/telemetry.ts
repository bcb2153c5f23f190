import { Instrument } from '../core/telemetry.js';

/** The geo module's tracing channel (`tracing:redis-patterns:geo:*`). */
export const instrument = new Instrument('geo');
