import { Instrument } from '../core/telemetry.js';

/** The counters module's tracing channel (`tracing:redis-patterns:counters:*`). */
export const instrument = new Instrument('counters');
