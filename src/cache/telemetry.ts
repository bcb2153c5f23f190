import { Instrument } from '../core/telemetry.js';

/** The cache module's tracing channel (`tracing:redis-patterns:cache:*`). */
export const instrument = new Instrument('cache');

/** What a cache without a namespace publishes besides its outcome: nothing (with one, `{ cache: namespace }`). */
export const NO_ATTRIBUTES = {} as const;
