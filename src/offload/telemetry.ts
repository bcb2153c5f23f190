import { Instrument } from '../core/telemetry.js';

/** The offload module's tracing channel (`tracing:redis-patterns:offload:*`). */
export const instrument = new Instrument('offload');
