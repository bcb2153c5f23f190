import { Instrument } from '../core/telemetry.js';

/** The rate-limit module's tracing channel (`tracing:redis-patterns:rate-limit:*`). */
export const instrument = new Instrument('rate-limit');
