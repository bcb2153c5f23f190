import { Instrument } from '../core/telemetry.js';

/** The cache module's tracing channel (`tracing:redis-patterns:cache:*`). */
export const instrument = new Instrument('cache');

/** A cache has no configured name; its operations publish no attributes besides their outcome. */
export const NO_ATTRIBUTES = {} as const;
