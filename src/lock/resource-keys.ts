import type { KeySpace } from '../core/keys.js';

/** The keys of one FencedLock resource; one hash tag, so one cluster slot. */
export interface ResourceKeys {
  /** Holder's owner id, with the lock's TTL. */
  lock: string;
  /** Fencing counter: no TTL, it must outlive every lock so tokens keep increasing. */
  fence: string;
  /** FIFO queue of waiters (sorted set), expires with the longest wait. */
  queue: string;
  /** Pub/sub channel on which a release announces whom it handed the lock to. */
  channel: string;
}

/** Builds the keys of `resource` (shared by FencedLock and FencedStore). */
export function resourceKeys(ks: KeySpace, resource: string): ResourceKeys {
  return {
    lock: ks.key(resource, 'owner'),
    fence: ks.key(resource, 'fence'),
    queue: ks.key(resource, 'queue'),
    channel: ks.key(resource, 'grants'),
  };
}
