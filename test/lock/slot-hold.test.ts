import { describe, expect, it } from 'vitest';
import { SlotHold } from '../../src/lock/index.js';
import { countCommands } from '../harness/command-counter.js';
import { modulesAtRiskAfter } from '../harness/full-server.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { expectRejectedBeforeSending } from './expect-validation.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe(`SlotHold on ${target} via ${driver}`, () => {
  it('100 concurrent holders of one slot: exactly one wins; expiry frees the slot', async () => {
    const connection = await testConnection();
    const holds = new SlotHold({ connection });
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => holds.hold('dr-lee:09:00', `patient-${i}`, 300)));
    const winners = results.filter((r) => r.held);
    expect(winners).toHaveLength(1);
    const winner = winners[0]?.holderId as string;
    for (const r of results.filter((x) => !x.held)) {
      expect(r.state).toBe('taken');
      expect(r.holderId).toBe(winner);
      expect(r.expiresInMs).toBeGreaterThan(0);
    }
    expect(await holds.holderOf('dr-lee:09:00')).toMatchObject({ state: 'held', holderId: winner });
    await sleep(450);
    expect(await holds.holderOf('dr-lee:09:00')).toEqual({ state: 'free' });
    expect((await holds.hold('dr-lee:09:00', 'patient-late')).held).toBe(true);
  });

  it('confirm books atomically, only by the holder, only while the hold lives', async () => {
    const connection = await testConnection();
    const holds = new SlotHold({ connection });
    await holds.hold('slot-a', 'ann', 5000);
    expect(await holds.confirm('slot-a', 'bob')).toEqual({ confirmed: false, state: 'not-held' });
    const confirmed = await countCommands(connection, () => holds.confirm('slot-a', 'ann'));
    expect(confirmed.result).toEqual({ confirmed: true, state: 'confirmed' });
    expect(confirmed.byCommand.evalsha).toBe(1);
    expect(await holds.confirm('slot-a', 'ann')).toEqual({ confirmed: true, state: 'confirmed' });
    expect(await holds.hold('slot-a', 'bob')).toMatchObject({ held: false, state: 'booked', holderId: 'ann', expiresInMs: -1 });
    expect(await holds.confirm('slot-a', 'bob')).toEqual({ confirmed: false, state: 'booked' });
    expect(await holds.holderOf('slot-a')).toEqual({ state: 'booked', holderId: 'ann', expiresInMs: -1 });

    await holds.hold('slot-b', 'cat', 80);
    await sleep(200); // abandoned: the hold expired
    expect(await holds.confirm('slot-b', 'cat')).toEqual({ confirmed: false, state: 'not-held' });
    expect(await holds.holderOf('slot-b')).toEqual({ state: 'free' });
  });

  it('release drops only the caller’s hold; hold, confirm and release are one EVALSHA', async () => {
    const connection = await testConnection();
    const holds = new SlotHold({ connection, bookingTtlMs: 60_000 });
    await holds.release('warm', 'x'); // loads the scripts
    await holds.confirm('warm', 'x');
    const held = await countCommands(connection, () => holds.hold('slot-c', 'dan', 5000));
    expect(held.result.held).toBe(true);
    expect(held.byCommand.evalsha).toBe(1);
    expect((await holds.hold('slot-c', 'dan', 9000)).expiresInMs).toBe(9000); // re-hold extends
    expect(await holds.release('slot-c', 'eve')).toBe(false);
    expect((await holds.holderOf('slot-c')).state).toBe('held');
    const released = await countCommands(connection, () => holds.release('slot-c', 'dan'));
    expect(released.result).toBe(true);
    expect(released.byCommand.evalsha).toBe(1);
    expect((await holds.hold('slot-c', 'eve')).held).toBe(true);
    expect((await holds.confirm('slot-c', 'eve')).confirmed).toBe(true);
    const state = await holds.holderOf('slot-c');
    expect(state.state === 'booked' && state.expiresInMs > 50_000).toBe(true); // bookingTtlMs applied
  });

  it('a confirmed hold is a booking only: once the booking expires the slot is free, and the booker has no hold to release', async () => {
    const connection = await testConnection();
    const holds = new SlotHold({ connection, bookingTtlMs: 300 });
    await holds.hold('slot-d', 'fay', 60_000);
    expect(await holds.confirm('slot-d', 'fay')).toEqual({ confirmed: true, state: 'confirmed' });
    await sleep(700); // the appointment is over: the booking expired
    expect(await holds.holderOf('slot-d')).toEqual({ state: 'free' });
    expect(await holds.release('slot-d', 'fay')).toBe(false);
    expect(await holds.hold('slot-d', 'gus')).toMatchObject({ held: true, state: 'held', holderId: 'gus' });
  });

  it('keeps a hold at …:{slot}:hold with the hold’s TTL and a booking at …:{slot}:booking, as documented', async () => {
    const connection = await testConnection();
    const holds = new SlotHold({ connection });
    const key = (part: string) => connection.keys('lock').key('slot-e', part);
    await holds.hold('slot-e', 'hal', 5000);
    expect(await connection.send(['GET', key('hold')], key('hold'))).toBe('hal');
    const ttl = Number(await connection.send(['PTTL', key('hold')], key('hold')));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(5000);
    await holds.confirm('slot-e', 'hal');
    expect(await connection.send(['GET', key('booking')], key('booking'))).toBe('hal');
    expect(await connection.send(['EXISTS', key('hold')], key('hold'))).toBe(0);
  });

  it('rejects bad input before sending anything', async () => {
    const connection = await testConnection();
    const holds = new SlotHold({ connection });
    const bad: [string, () => Promise<unknown>][] = [
      ['slotId', () => holds.hold('', 'a')],
      ['holderId', () => holds.hold('s', '')],
      ['slotId', () => holds.hold('x'.repeat(1500), 'a')],
      ['ttlMs', () => holds.hold('s', 'a', 0)],
      ['ttlMs', () => holds.hold('s', 'a', Number.POSITIVE_INFINITY)],
      ['ttlMs', () => holds.hold('s', 'a', 1.5)],
      ['holderId', () => holds.confirm('s', '')],
      ['slotId', () => holds.confirm('', 'a')],
      ['slotId', () => holds.release('', 'a')],
      ['holderId', () => holds.release('s', '')],
      ['slotId', () => holds.holderOf('')],
      ['holdTtlMs', async () => new SlotHold({ connection, holdTtlMs: -1 })],
      ['bookingTtlMs', async () => new SlotHold({ connection, bookingTtlMs: -1 })],
    ];
    await expectRejectedBeforeSending(connection, bad);
  });

  it.runIf(target === 'standalone')('needs noeviction: a server that may evict reports the holds at risk', async () => {
    expect(await modulesAtRiskAfter((connection) => new SlotHold({ connection }))).toEqual(['lock']);
  });
});
