// Names shared by the example's processes.
import type { RedisConnection } from 'redis-patterns';

export const QUEUE = 'availability-sync';

/** One update from the external scheduling system. */
export interface AvailabilityUpdate {
  providerId: string;
  slots: string[];
}

/** Our side: the availability store, and bookkeeping to prove every update was applied. */
export function storeKeys(connection: RedisConnection) {
  const ks = connection.keys('example');
  return { availability: ks.key('avail', 'by-provider'), applied: ks.key('avail', 'applied'), runs: ks.key('avail', 'runs') };
}
