import { Instrument } from '../core/telemetry.js';

/** The state-machine module's tracing channel (`tracing:redis-patterns:state-machine:*`). */
export const instrument = new Instrument('state-machine');
