// A JS string with an unpaired UTF-16 surrogate has no UTF-8 form: clients send it as the
// bytes of U+FFFD, so '\uD800' and '\uFFFD' would reach Redis as the same key or member.
// Every identifier a module takes from a user is rejected with a ValidationError before
// anything is sent, and the key encoding itself keeps such strings apart.
import { describe, expect, it } from 'vitest';
import { Cache } from '../../src/cache/index.js';
import { CircuitBreaker } from '../../src/circuit-breaker/index.js';
import { AtomicCounter, BloomFilter, UniqueCounter } from '../../src/counters/index.js';
import { Feed } from '../../src/feed/index.js';
import { GeoIndex } from '../../src/geo/index.js';
import { RedisConnection, ValidationError } from '../../src/index.js';
import { encodeKeyPart, KeySpace } from '../../src/kit/index.js';
import { Leaderboard } from '../../src/leaderboard/index.js';
import { FencedLock, FencedStore, Semaphore, SlotHold } from '../../src/lock/index.js';
import { OffloadStore } from '../../src/offload/index.js';
import { PriorityQueue, StreamQueue } from '../../src/queue/index.js';
import { FixedWindowLimiter } from '../../src/rate-limit/index.js';
import { SessionStore } from '../../src/session/index.js';
import { StateMachine } from '../../src/state-machine/index.js';
import { Streaks } from '../../src/streaks/index.js';
import { countCommands } from '../harness/command-counter.js';
import { driver, target, testConnection } from '../harness/redis.js';

const LONE = ['\uD800', '\uDFFF', 'a\uD800b', 'x\uDC00', '\uDBFF\uDBFF\uDC00'.slice(0, 2)];
const REPLACEMENT = '\uFFFD';

describe(`unpaired surrogates on ${target} via ${driver}`, () => {
  it('the key encoding keeps them apart from U+FFFD and from each other', () => {
    const inputs = [...LONE, REPLACEMENT, '🩺', '\uD83E\uDE7A', '%uD800', 'a%uD800b'];
    const encoded = inputs.map(encodeKeyPart);
    // '🩺' is the same string as its surrogate-pair spelling: one entry.
    expect(new Set(encoded).size).toBe(inputs.length - 1);
    for (const e of encoded) expect(e.isWellFormed()).toBe(true);
    const bytes = encoded.map((e) => Buffer.from(e, 'utf8').toString('hex'));
    expect(new Set(bytes).size).toBe(inputs.length - 1);
    expect(() => new KeySpace('app\uD800', 'lock')).toThrow(ValidationError);
    expect(() => RedisConnection.from({ send() {}, pipeline() {}, primaries() {} } as never, { prefix: '\uDC00' })).toThrow(
      ValidationError,
    );
  });

  it('FencedLock: a lone surrogate is rejected, not refused as held by U+FFFD', async () => {
    const connection = await testConnection();
    const lock = new FencedLock({ connection, ttlMs: 5000 });
    const held = await lock.tryAcquire(REPLACEMENT);
    expect(held).not.toBeNull();
    const { byCommand } = await countCommands(connection, () => expect(lock.tryAcquire('\uD800')).rejects.toBeInstanceOf(ValidationError));
    expect(byCommand).toEqual({});
    expect(await lock.tryAcquire('🩺')).not.toBeNull();
  });

  it('Cache and Leaderboard: U+FFFD keeps its own entry', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000 });
    await cache.set(REPLACEMENT, 'replacement');
    const board = new Leaderboard({ connection, name: 'b' });
    await board.add(REPLACEMENT, 1);
    const { byCommand } = await countCommands(connection, async () => {
      await expect(cache.get('\uD800')).rejects.toBeInstanceOf(ValidationError);
      await expect(cache.set('\uD800', 'lone')).rejects.toBeInstanceOf(ValidationError);
      await expect(board.add('\uD800', 2)).rejects.toBeInstanceOf(ValidationError);
    });
    expect(byCommand).toEqual({});
    expect(await cache.get(REPLACEMENT)).toBe('replacement');
    expect(await board.top(10)).toEqual([expect.objectContaining({ member: REPLACEMENT, score: 1 })]);
  });

  it('every module rejects them in every identifier it takes, sending nothing', async () => {
    const connection = await testConnection();
    const limiter = new FixedWindowLimiter({ connection, limits: [{ limit: 5, windowMs: 1000 }] });
    const lock = new FencedLock({ connection });
    const semaphore = new Semaphore({ connection, limit: 2, ttlMs: 5000 });
    const holds = new SlotHold({ connection });
    const store = new FencedStore({ connection });
    const sessions = new SessionStore({ connection });
    const queue = new StreamQueue({ connection, name: 'q' });
    const priority = new PriorityQueue({ connection, name: 'p' });
    const geo = new GeoIndex({ connection, name: 'g' });
    const feed = new Feed({ connection });
    const streaks = new Streaks({ connection });
    const board = new Leaderboard({ connection, name: 'b' });
    const unique = new UniqueCounter({ connection });
    const windows = new AtomicCounter({ connection, windowMs: 60_000, windows: 2 });
    const bloom = new BloomFilter({ connection, name: 'f', capacity: 100 });
    const machine = new StateMachine({ connection, name: 'm', definition: { initial: 'a', transitions: { a: ['b'], b: [] } } });
    const offload = new OffloadStore({ connection, name: 'o' });
    const cache = new Cache({ connection, ttlMs: 60_000 });
    const point = { lon: 13.4, lat: 52.5 };
    for (const lone of LONE) {
      const calls: [string, () => Promise<unknown>][] = [
        ['limiter.check', () => limiter.check(lone)],
        ['lock.tryAcquire', () => lock.tryAcquire(lone)],
        ['semaphore.tryAcquire', () => semaphore.tryAcquire(lone)],
        ['hold slot', () => holds.hold(lone, 'p')],
        ['hold holder', () => holds.hold('s', lone)],
        ['store resource', () => store.write(lone, 1, { a: 1 })],
        ['store field', () => store.write('r', 1, { [lone]: 1 })],
        ['session user', () => sessions.create(lone)],
        ['session field', () => sessions.create('u', { [lone]: 1 })],
        ['session ip', () => sessions.create('u', {}, { ip: lone })],
        ['session userAgent', () => sessions.create('u', {}, { userAgent: lone })],
        ['queue name', () => queue.add(lone, 1)],
        ['queue jobId', () => queue.add('n', 1, { jobId: lone })],
        ['priority name', () => priority.add(lone, 1)],
        ['geo member', () => geo.add({ member: lone, ...point })],
        ['geo nearby member', () => geo.nearby({ member: lone }, { radius: 1 })],
        ['feed owner', () => feed.add(lone, { id: 'i', data: 1 })],
        ['feed item', () => feed.add('o', { id: lone, data: 1 })],
        ['streaks user', () => streaks.record(lone, 'k', Date.now())],
        ['streaks kind', () => streaks.record('u', lone, Date.now())],
        ['board member', () => board.add(lone, 1)],
        ['unique counter', () => unique.track(lone, 'm')],
        ['unique member', () => unique.track('c', ['ok', lone])],
        ['windowed counter', () => windows.increment(lone)],
        ['bloom item', () => bloom.add(lone)],
        ['bloom items', () => bloom.existsMany(['ok', lone])],
        ['flow id', () => machine.start(lone)],
        ['flow field', () => machine.start('f', { [lone]: 1 })],
        ['offload id', () => offload.update(lone, { a: 1 })],
        ['offload field', () => offload.update('r', { [lone]: 1 })],
        ['cache tag', () => cache.set('k', 1, { tags: [lone] })],
        ['cache invalidateTag', () => cache.invalidateTag(lone)],
      ];
      const { byCommand } = await countCommands(connection, async () => {
        for (const [what, call] of calls) {
          const error = await call().then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(error, `${what} with ${JSON.stringify(lone)}`).toBeInstanceOf(ValidationError);
        }
      });
      expect(byCommand).toEqual({});
    }
    expect(() => new CircuitBreaker({ connection, name: '\uD800', failureThreshold: 2 })).toThrow(ValidationError);
    expect(() => new StateMachine({ connection, name: 'm2', definition: { initial: '\uD800', transitions: { '\uD800': [] } } })).toThrow(
      ValidationError,
    );
  });
});
