// Shared setup of the circuit-breaker tests: breakers on one name over separate
// connections (as separate app instances would have), call bodies, and an event log.

import { CircuitBreaker, type CircuitBreakerEvents, type CircuitBreakerOptions } from '../../src/circuit-breaker/index.js';
import { RedisConnection as Connection } from '../../src/index.js';
import { closeAfterAll, rawClient, testConnection } from '../harness/redis.js';

export type BreakerOptions = Omit<CircuitBreakerOptions, 'connection' | 'name'>;

/** Two breakers on one name, each on its own client (one prefix), like two app instances. */
export async function instances(options: BreakerOptions, name = 'eprescribe'): Promise<[CircuitBreaker, CircuitBreaker]> {
  const first = await testConnection();
  const second = Connection.from(await rawClient(), { prefix: first.prefix });
  closeAfterAll(second);
  // Open every node connection now, so no connection set-up lands inside a command count.
  await Promise.all((await second.client.primaries()).map((node) => node.send(['PING'])));
  // A generous redisTimeoutMs: on a loaded machine a slow reply must not switch a test to local state.
  // No state cache unless a test asks for one: most tests watch the shared state call by call.
  const all = { name, redisTimeoutMs: 2000, cacheMs: 0, ...options };
  return [new CircuitBreaker({ connection: first, ...all }), new CircuitBreaker({ connection: second, ...all })];
}

/** A call that succeeds. */
export const ok = async () => 'ok';

/** A call that fails like a dependency that is down. */
export const down = async (): Promise<string> => {
  throw new Error('service unavailable');
};

/** Runs `fn` through the breaker and returns its value or the error (never throws). */
export function attempt<T>(breaker: CircuitBreaker, fn: (signal: AbortSignal) => Promise<T>): Promise<T | Error> {
  return breaker.execute(fn).catch((e: Error) => e);
}

/** Records the names of the state events a breaker emits, in order. */
export function stateEvents(breaker: CircuitBreaker): (keyof CircuitBreakerEvents)[] {
  const log: (keyof CircuitBreakerEvents)[] = [];
  for (const name of ['opened', 'halfOpened', 'closed'] as const) breaker.on(name, () => log.push(name));
  return log;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** `status()` of a circuit on local state right after a probe closed it: nothing counted yet. */
export const closedEmptyLocal = {
  state: 'closed',
  retryAfterMs: 0,
  successes: 0,
  failures: 0,
  probesInFlight: 0,
  source: 'local',
} as const;
