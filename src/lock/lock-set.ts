import { backoffDelay, sleep } from '../core/async.js';
import type { RedisConnection } from '../core/connection.js';
import { ValidationError } from '../core/errors.js';
import type { KeySpace } from '../core/keys.js';
import { keySlot } from '../core/slots.js';
import { LockNotAcquiredError } from './errors.js';
import { type FencedLease, HeldFencedLease, type Lease, type LeaseBackend } from './lease.js';
import { type ResourceKeys, resourceKeys } from './resource-keys.js';
import { acquireAllScript } from './scripts.js';
import { instrument } from './telemetry.js';
import { checkLockInput, now, validUntil } from './validity.js';

/** Most resources one `acquireAll` / `tryAcquireAll` / `usingAll` call takes. */
export const MAX_LOCK_RESOURCES = 100;

/**
 * Several {@link FencedLock} resources held together, from `acquireAll` or `tryAcquireAll`.
 * As a {@link Lease} it stands for all of them: `remainingMs` is the shortest validity,
 * `release` and `extend` act on every lock and report `true` only if every lock was still held.
 */
export interface FencedLeases extends Lease {
  /** The resources, in the order they were asked for. */
  readonly resources: readonly string[];
  /** One lease per resource, in the same order: each with its own fencing token. */
  readonly leases: readonly FencedLease[];
  /** The fencing token of each resource, in the same order. */
  readonly tokens: readonly number[];
  /** The lease of `resource`, or `undefined` when it is not one of them. */
  lease(resource: string): FencedLease | undefined;
}

/** What a lock set needs from the `FencedLock` that takes it. */
export interface LockSetContext {
  readonly connection: RedisConnection;
  readonly keys: KeySpace;
  readonly pollMs: number;
  readonly driftFactor: number;
  readonly telemetry: { kind: string };
  /** A fresh owner id. */
  owner(): string;
  /** Release and extend of one resource's lock. */
  backend(keys: ResourceKeys, ttlMs: number): LeaseBackend;
}

/** Resources whose keys share one hash slot: taken by one script, all or none. */
interface Group {
  resources: string[];
  keys: ResourceKeys[];
}

/** A lock of the set as granted, before it becomes a lease. */
interface Granted {
  resource: string;
  keys: ResourceKeys;
  token: number;
  sentAt: number;
  ttlMs: number;
}

/**
 * Checks `resources` (1 to {@link MAX_LOCK_RESOURCES} distinct resource names) and `ttlMs` /
 * `waitMs` before anything is sent.
 */
export function checkLockSet(resources: unknown, ttlMs: unknown, waitMs?: unknown): asserts resources is readonly string[] {
  if (!Array.isArray(resources) || resources.length === 0)
    throw new ValidationError('resources', 'must be a non-empty array of resource names');
  if (resources.length > MAX_LOCK_RESOURCES) {
    throw new ValidationError('resources', `must hold at most ${MAX_LOCK_RESOURCES} resources, got ${resources.length}`);
  }
  const seen = new Set<string>();
  for (const resource of resources) {
    checkLockInput(resource, ttlMs, waitMs);
    if (seen.has(resource)) throw new ValidationError('resources', `must not name a resource twice (${JSON.stringify(resource)})`);
    seen.add(resource);
  }
}

/** The resource a lock set found held, when it was not to wait. */
export interface BusyResource {
  readonly busy: string;
}

/**
 * Takes every lock of `resources` or none. Resources are taken in one global order (by hash
 * slot, then name), one script per slot, each script all or nothing; a slot that is busy is
 * waited for (polling, up to `waitMs`) while the earlier ones are held (their TTL stretched to
 * outlast the wait), so two callers can never each hold what the other waits for. On a busy slot
 * with no wait left (with `waitMs` 0: resolves that slot's busy resource), an abort or a Redis
 * error, every lock already taken is released before the call settles.
 */
export async function takeLockSet(
  ctx: LockSetContext,
  resources: readonly string[],
  ttlMs: number,
  waitMs: number,
  signal: AbortSignal | undefined,
): Promise<FencedLeases | BusyResource> {
  const groups = groupsOf(ctx, resources);
  const owner = ctx.owner();
  const deadline = now() + waitMs;
  const granted: Granted[] = [];
  // Each lock is given back once, whichever way the call ends.
  const giveBack = () =>
    Promise.all(
      granted.splice(0).map((g) =>
        ctx
          .backend(g.keys, g.ttlMs)
          .release(`${owner}|${g.token}`)
          // Stryker disable next-line ArrowFunction,StringLiteral: equivalent, the give-back's results are never read, only its errors swallowed
          .catch(() => 'not-held'),
      ),
    );
  try {
    for (const group of groups) {
      const keys = group.keys.flatMap((k) => [k.lock, k.fence]);
      for (;;) {
        const sentAt = now();
        const attempt = await ctx.connection.run(acquireAllScript, keys, [owner, ttlMs]);
        if (attempt.granted) {
          group.resources.forEach((resource, i) => {
            granted.push({ resource, keys: group.keys[i] as ResourceKeys, token: attempt.tokens[i] as number, sentAt, ttlMs });
          });
          break;
        }
        const left = deadline - now();
        if (left <= 0) {
          await giveBack();
          if (waitMs === 0) return { busy: group.resources[attempt.busy] as string };
          throw new LockNotAcquiredError(
            group.resources[attempt.busy] as string,
            `still held after waiting ${waitMs} ms (taking ${resources.length} resources)`,
          );
        }
        await outlastWait(ctx, owner, granted, ttlMs + Math.ceil(left));
        const pause = backoffDelay(1, { baseMs: Math.max(1, Math.min(attempt.remainingMs, ctx.pollMs)) });
        await sleep(Math.min(pause, left), signal);
      }
    }
    return await toLeases(ctx, resources, owner, granted, ttlMs, giveBack);
  } catch (err) {
    await giveBack();
    throw err;
  }
}

// The locks already held while a later slot is awaited get a TTL that outlasts the whole wait
// (once: it covers the deadline), so none expires before the set is complete; the set's TTL is
// restored once it is. Nothing of this happens when no slot is busy.
async function outlastWait(ctx: LockSetContext, owner: string, granted: Granted[], ttl: number): Promise<void> {
  const short = granted.filter((g) => g.ttlMs < ttl);
  if (short.length === 0) return;
  const sentAt = now();
  const kept = await Promise.all(short.map((g) => ctx.backend(g.keys, ttl).extend(`${owner}|${g.token}`, ttl)));
  const lost = short.findIndex((_, i) => !kept[i]);
  if (lost !== -1) throw new LockNotAcquiredError((short[lost] as Granted).resource, 'a lock of the set expired while another was awaited');
  for (const g of short) {
    g.ttlMs = ttl;
    g.sentAt = sentAt;
  }
}

// Slots in ascending order, resources by name within a slot: the global order every caller
// follows. A standalone server is one "slot": one script takes everything at once.
function groupsOf(ctx: LockSetContext, resources: readonly string[]): Group[] {
  const cluster = ctx.connection.client.isCluster;
  const bySlot = new Map<number, Group>();
  // Stryker disable next-line MethodExpression: equivalent, a slot's resources are taken by one atomic script, so their order within it is not observable
  for (const resource of [...resources].sort()) {
    const slot = cluster ? keySlot(ctx.keys.stem(resource)) : 0;
    let group = bySlot.get(slot);
    if (!group) {
      group = { resources: [], keys: [] };
      bySlot.set(slot, group);
    }
    group.resources.push(resource);
    group.keys.push(resourceKeys(ctx.keys, resource));
  }
  return [...bySlot.entries()].sort(([a], [b]) => a - b).map(([, group]) => group);
}

async function toLeases(
  ctx: LockSetContext,
  resources: readonly string[],
  owner: string,
  granted: readonly Granted[],
  ttlMs: number,
  giveBack: () => Promise<unknown>,
): Promise<FencedLeases> {
  const byResource = new Map<string, HeldFencedLease>();
  for (const g of granted) {
    const until = validUntil(g.sentAt, g.ttlMs, g.ttlMs, ctx.driftFactor);
    const lease = new HeldFencedLease(g.resource, `${owner}|${g.token}`, g.token, until, ctx.backend(g.keys, ttlMs));
    byResource.set(g.resource, lease);
  }
  // The slots held while later ones were awaited carry a longer TTL: bring them back to ttlMs.
  const longer = granted.filter((g) => g.ttlMs !== ttlMs).map((g) => byResource.get(g.resource) as HeldFencedLease);
  const kept = await Promise.all(longer.map((lease) => lease.extend(ttlMs)));
  const leases = resources.map((r) => byResource.get(r) as HeldFencedLease);
  // A grant whose validity already ran out (a very slow round trip) is not a lock to hand out.
  if (kept.includes(false) || leases.some((l) => l.remainingMs() <= 0)) {
    await giveBack();
    throw new LockNotAcquiredError(resources[0] as string, 'the locks could not all be held at once (a TTL ran out while taking them)');
  }
  return new HeldFencedLeases(resources, leases, owner, ctx.telemetry);
}

/** The {@link FencedLeases} a lock set hands out. */
export class HeldFencedLeases implements FencedLeases {
  /** The resources, joined: what errors and traces name. */
  readonly resource: string;
  readonly tokens: readonly number[];

  constructor(
    readonly resources: readonly string[],
    readonly leases: readonly FencedLease[],
    /** The owner id every lock of the set is held under (with its own token). */
    readonly owner: string,
    private readonly telemetry: { kind: string },
  ) {
    this.resource = resources.join(', ');
    this.tokens = leases.map((l) => l.token);
  }

  lease(resource: string): FencedLease | undefined {
    const i = this.resources.indexOf(resource);
    return i === -1 ? undefined : this.leases[i];
  }

  remainingMs(): number {
    return Math.min(...this.leases.map((l) => l.remainingMs()));
  }

  release(): Promise<boolean> {
    return instrument.trace('releaseAll', this.telemetry, this.resource, async (context) => {
      const released = await Promise.all(this.leases.map((l) => l.release()));
      const all = !released.includes(false);
      if (context) context.outcome = all ? 'released' : 'not-held';
      return all;
    });
  }

  extend(ttlMs?: number): Promise<boolean> {
    return instrument.trace('extendAll', this.telemetry, this.resource, async (context) => {
      const extended = await Promise.all(this.leases.map((l) => l.extend(ttlMs)));
      const all = !extended.includes(false);
      if (context) context.outcome = all ? 'extended' : 'lost';
      return all;
    });
  }
}
