import { Instrument } from '../core/telemetry.js';

/** The circuit breaker's tracing channel (`tracing:redis-patterns:circuit-breaker:*`). */
export const instrument = new Instrument('circuit-breaker');

/** The `circuit_breaker.state` gauge's value of each state. */
export const STATE_GAUGE = { closed: 0, 'half-open': 1, open: 2 } as const;
