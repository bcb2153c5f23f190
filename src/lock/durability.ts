import { ReplicationError } from '../core/errors.js';

/**
 * A grant the replicas did not confirm is no grant: it is given back (owner-checked, best
 * effort: a failover may lose the give-back too, leaving it to expire) before the
 * `ReplicationError` reaches the caller.
 */
export async function unconfirmedReleased<T>(grant: Promise<T>, release: () => Promise<unknown>): Promise<T> {
  try {
    return await grant;
  } catch (err) {
    if (err instanceof ReplicationError) await release().catch(() => undefined);
    throw err;
  }
}
