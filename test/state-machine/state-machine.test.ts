import { describe, expect, it } from 'vitest';
import { startRedis } from '../../scripts/lib/redis-servers.js';
import { CommandTimeoutError, RedisConnection, ValidationError } from '../../src/index.js';
import {
  compileDefinition,
  InvalidTransitionError,
  MAX_DATA_FIELDS,
  StateMachine,
  type StateMachineDefinition,
} from '../../src/state-machine/index.js';
import { countCommands } from '../harness/command-counter.js';
import { modulesAtRiskAfter } from '../harness/full-server.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { tracedOperations } from '../harness/traced.js';
import { expectInvalid } from '../harness/validation.js';

type Step = 'InsuranceCheck' | 'CoverageVerified' | 'InitialQuestions' | 'SchedulingOffered' | 'Completed';
const intake: StateMachineDefinition<Step> = {
  initial: 'InsuranceCheck',
  transitions: {
    InsuranceCheck: ['CoverageVerified'],
    CoverageVerified: ['InitialQuestions'],
    InitialQuestions: ['SchedulingOffered'],
    SchedulingOffered: ['Completed', 'InitialQuestions'],
    Completed: [],
  },
};

async function machine(options: { ttlMs?: number; historyLimit?: number } = {}) {
  const connection = await testConnection();
  // Open every node connection now: ioredis' ready check (INFO) must not land inside a command count.
  await Promise.all((await connection.client.primaries()).map((node) => node.send(['PING'])));
  return { connection, sm: new StateMachine({ connection, name: 'intake', definition: intake, ...options }) };
}

describe(`StateMachine on ${target} via ${driver}`, () => {
  it('walks the intake flow, merging data and recording history', async () => {
    const { sm } = await machine();
    const started = await sm.start('p1', { patient: 'Ana' });
    expect(started).toMatchObject({ started: true, id: 'p1', state: 'InsuranceCheck', version: 1 });
    expect(started.at).toBeGreaterThan(Date.now() - 60_000);
    await sm.transition('p1', 'InsuranceCheck', 'CoverageVerified', { payer: 'Aetna', copay: 25 });
    await sm.transition('p1', 'CoverageVerified', 'InitialQuestions');
    await sm.transition('p1', 'InitialQuestions', 'SchedulingOffered', { answers: { smoker: false } });
    const done = await sm.transition('p1', 'SchedulingOffered', 'Completed', { copay: 30 });
    expect(done).toMatchObject({ moved: true, state: 'Completed', version: 5 });
    const flow = await sm.get('p1');
    expect(flow).toMatchObject({
      id: 'p1',
      state: 'Completed',
      version: 5,
      data: { patient: 'Ana', payer: 'Aetna', copay: 30, answers: { smoker: false } },
    });
    // The first entry is the start entry: it has no `from`.
    expect(flow?.history[0]).toEqual({ to: 'InsuranceCheck', at: started.at });
    expect(flow?.history.map((h) => `${h.from ?? ''}>${h.to}`)).toEqual([
      '>InsuranceCheck',
      'InsuranceCheck>CoverageVerified',
      'CoverageVerified>InitialQuestions',
      'InitialQuestions>SchedulingOffered',
      'SchedulingOffered>Completed',
    ]);
    expect(flow?.updatedAt).toBe(done.at);
    expect(flow?.createdAt).toBe(started.at);
  });

  it('answers a transition from the wrong state with moved: false and the actual state, changing nothing', async () => {
    const { sm } = await machine();
    const started = await sm.start('p2', { a: 1 });
    const lost = await sm.transition('p2', 'CoverageVerified', 'InitialQuestions', { a: 2 });
    expect(lost).toEqual({ moved: false, id: 'p2', state: 'InsuranceCheck', version: 1, at: started.at });
    expect(await sm.get('p2')).toMatchObject({ state: 'InsuranceCheck', version: 1, data: { a: 1 } });
    const missing = await sm.transition('nobody', 'InsuranceCheck', 'CoverageVerified');
    expect(missing).toEqual({ moved: false, id: 'nobody', state: null, version: 0, at: 0 });
    expect(await sm.get('nobody')).toBeNull();
  });

  it('start() leaves an existing flow alone and answers started: false with its state', async () => {
    const { sm } = await machine();
    await sm.start('p3');
    const moved = await sm.transition('p3', 'InsuranceCheck', 'CoverageVerified', { kept: true });
    const again = await sm.start('p3', { kept: false });
    expect(again).toEqual({ started: false, id: 'p3', state: 'CoverageVerified', version: 2, at: moved.at });
    expect(await sm.get('p3')).toMatchObject({ state: 'CoverageVerified', version: 2, data: { kept: true } });
  });

  it('of concurrent transitions out of one state, exactly one wins', async () => {
    const { sm } = await machine();
    await sm.start('p4');
    await sm.transition('p4', 'InsuranceCheck', 'CoverageVerified');
    await sm.transition('p4', 'CoverageVerified', 'InitialQuestions');
    await sm.transition('p4', 'InitialQuestions', 'SchedulingOffered');
    // 30 racers, half trying to complete, half trying to go back to the questions.
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        sm.transition('p4', 'SchedulingOffered', i % 2 ? 'Completed' : 'InitialQuestions', { winner: i }),
      ),
    );
    const won = results.flatMap((r, i) => (r.moved ? [i] : []));
    expect(won).toHaveLength(1);
    const winner = results[won[0] as number];
    // Every loser learns the state the winner put the flow in.
    for (const r of results) if (!r.moved) expect(r).toMatchObject({ state: winner?.state, version: 5, at: winner?.at });
    const flow = await sm.get('p4');
    expect(flow?.data.winner).toBe(won[0]);
    expect(flow?.version).toBe(5);
    expect(flow?.history).toHaveLength(5);
  });

  it('keeps the history bounded', async () => {
    const { sm } = await machine({ historyLimit: 3 });
    await sm.start('p5');
    await sm.transition('p5', 'InsuranceCheck', 'CoverageVerified');
    await sm.transition('p5', 'CoverageVerified', 'InitialQuestions');
    for (let i = 0; i < 5; i++) {
      await sm.transition('p5', 'InitialQuestions', 'SchedulingOffered');
      await sm.transition('p5', 'SchedulingOffered', 'InitialQuestions');
    }
    const flow = await sm.get('p5');
    expect(flow?.version).toBe(13);
    expect(flow?.history.map((h) => h.to)).toEqual(['InitialQuestions', 'SchedulingOffered', 'InitialQuestions']);
  });

  it('abandoned flows expire: every step refreshes the TTL, idle flows vanish', async () => {
    const { connection, sm } = await machine({ ttlMs: 1000 });
    await sm.start('p6');
    const keys = ['flow', 'history'].map((p) => connection.keys('state-machine').key('p6', 'intake', p));
    for (const k of keys) {
      const pttl = Number(await connection.send(['PTTL', k], k));
      expect(pttl).toBeGreaterThan(0);
      expect(pttl).toBeLessThanOrEqual(1000);
    }
    await new Promise((r) => setTimeout(r, 300));
    await sm.transition('p6', 'InsuranceCheck', 'CoverageVerified');
    expect(Number(await connection.send(['PTTL', keys[0] as string], keys[0]))).toBeGreaterThan(700);
    await new Promise((r) => setTimeout(r, 1300));
    expect(await sm.get('p6')).toBeNull();
    for (const k of keys) expect(await connection.send(['EXISTS', k], k)).toBe(0);
    // An expired flow can be started again.
    await expect(sm.start('p6')).resolves.toMatchObject({ version: 1 });
  });

  it('costs one round trip per call: one EVALSHA, or one MULTI for get', async () => {
    const { connection, sm } = await machine();
    await sm.start('warm');
    await sm.transition('warm', 'InsuranceCheck', 'CoverageVerified');
    await sm.get('warm');
    for (const [op, fn] of [
      ['start', () => sm.start('c1', { a: 1 })],
      ['transition', () => sm.transition('c1', 'InsuranceCheck', 'CoverageVerified', { b: 2 })],
      ['conflict', () => sm.transition('c1', 'InsuranceCheck', 'CoverageVerified')],
      ['start of an existing flow', () => sm.start('c1')],
    ] as const) {
      const { byCommand } = await countCommands(connection, fn as () => Promise<unknown>);
      expect(byCommand.evalsha, op).toBe(1);
      expect(byCommand.eval, op).toBeUndefined();
    }
    const start = await countCommands(connection, () => sm.start('c2', { a: 1 }));
    expect(start.byCommand).toEqual({ evalsha: 1, hmget: 1, time: 1, hset: 1, del: 1, rpush: 1, ltrim: 1, pexpire: 2 });
    const move = await countCommands(connection, () => sm.transition('c2', 'InsuranceCheck', 'CoverageVerified', { b: 2 }));
    expect(move.byCommand).toEqual({ evalsha: 1, hmget: 1, time: 1, hincrby: 1, hset: 1, rpush: 1, ltrim: 1, pexpire: 2 });
    const lost = await countCommands(connection, () => sm.transition('c2', 'InsuranceCheck', 'CoverageVerified'));
    expect(lost.byCommand).toEqual({ evalsha: 1, hmget: 1 });
    const get = await countCommands(connection, () => sm.get('c1'));
    expect(get.byCommand).toEqual({ multi: 1, hgetall: 1, lrange: 1, exec: 1 });
  });

  it('validates input and disallowed moves before sending anything', async () => {
    const { connection, sm } = await machine();
    const { byCommand } = await countCommands(connection, async () => {
      const notAllowed = await sm.transition('p7', 'InsuranceCheck', 'Completed').catch((e) => e);
      expect(notAllowed).toBeInstanceOf(InvalidTransitionError);
      expect(notAllowed).toBeInstanceOf(ValidationError);
      expect(notAllowed).toMatchObject({ from: 'InsuranceCheck', to: 'Completed' });
      expect(notAllowed).toMatchObject({ code: 'INVALID_TRANSITION', field: 'to' });
      await expect(sm.transition('p7', 'Completed', 'InsuranceCheck')).rejects.toBeInstanceOf(InvalidTransitionError);
      // A name that is not a state is an InvalidTransitionError too, as documented.
      const notAState = await sm.transition('p7', 'Nope' as Step, 'Completed').catch((e) => e);
      expect(notAState).toBeInstanceOf(InvalidTransitionError);
      expect(notAState).toMatchObject({ code: 'INVALID_TRANSITION', field: 'from', from: 'Nope', to: 'Completed' });
      const toNowhere = await sm.transition('p7', 'InsuranceCheck', 'Nope' as Step).catch((e) => e);
      expect(toNowhere).toBeInstanceOf(InvalidTransitionError);
      expect(toNowhere).toMatchObject({ code: 'INVALID_TRANSITION', field: 'to', from: 'InsuranceCheck', to: 'Nope' });
      await expect(sm.transition('', 'InsuranceCheck', 'CoverageVerified')).rejects.toBeInstanceOf(ValidationError);
      await expect(sm.start('p7', [] as unknown as Record<string, unknown>)).rejects.toBeInstanceOf(ValidationError);
      await expect(sm.start('p7', { '': 1 })).rejects.toBeInstanceOf(ValidationError);
      await expect(sm.get('')).rejects.toBeInstanceOf(ValidationError);
    });
    expect(byCommand).toEqual({});
    expect(sm.canTransition('SchedulingOffered', 'InitialQuestions')).toBe(true);
    expect(sm.canTransition('Completed', 'InsuranceCheck')).toBe(false);
  });

  it('merges MAX_DATA_FIELDS (10,000) data fields in one EVALSHA and rejects one more, sending nothing', async () => {
    const { connection, sm } = await machine();
    // Loads both scripts on the flow's node (a cluster has several).
    await sm.start('wide');
    await sm.transition('wide', 'InsuranceCheck', 'CoverageVerified');
    expect(MAX_DATA_FIELDS).toBe(10_000);
    const data = Object.fromEntries(Array.from({ length: MAX_DATA_FIELDS }, (_, i) => [`f${i}`, i]));
    // 20,000 field and value arguments, more than one Lua `unpack` returns: the scripts set them in chunks of whole pairs.
    await sm.delete('wide');
    const start = await countCommands(connection, () => sm.start('wide', data));
    expect(start.result).toMatchObject({ started: true });
    expect(start.byCommand).toEqual({ evalsha: 1, hmget: 1, time: 1, hset: 5, del: 1, rpush: 1, ltrim: 1, pexpire: 2 });
    const move = await countCommands(connection, () => sm.transition('wide', 'InsuranceCheck', 'CoverageVerified', data));
    expect(move.result).toMatchObject({ moved: true, version: 2 });
    expect(move.byCommand).toEqual({ evalsha: 1, hmget: 1, time: 1, hincrby: 1, hset: 5, rpush: 1, ltrim: 1, pexpire: 2 });
    expect((await sm.get('wide'))?.data).toEqual(data);
    const over = { ...data, oneMore: 1 };
    const { byCommand } = await countCommands(connection, async () => {
      await expect(sm.start('wide-2', over)).rejects.toBeInstanceOf(ValidationError);
      await expect(sm.transition('wide', 'CoverageVerified', 'InitialQuestions', over)).rejects.toBeInstanceOf(ValidationError);
    });
    expect(byCommand).toEqual({});
    await expectInvalid(() => sm.start('wide-2', over), 'data', /must set at most 10000 fields, got 10001$/);
    // Undefined values are not sent and do not count.
    expect(await sm.transition('wide', 'CoverageVerified', 'InitialQuestions', { ...data, skipped: undefined })).toMatchObject({
      moved: true,
    });
  });

  it('validates the definition up front', () => {
    const bad: unknown[] = [
      { initial: 'A', transitions: { B: [] } },
      { initial: 'A', transitions: { A: ['B'] } },
      { initial: 'A', transitions: { A: [], B: [] } },
      { initial: 'A', transitions: { A: 'B' } },
      { initial: 'A', transitions: { A: ['A'], '': [] } },
      null,
    ];
    for (const d of bad) expect(() => compileDefinition(d as StateMachineDefinition), JSON.stringify(d)).toThrow(ValidationError);
    expect(compileDefinition(intake).get('SchedulingOffered')).toEqual(new Set(['Completed', 'InitialQuestions']));
  });

  it('keeps one flow in one hash slot and data fields apart from bookkeeping', async () => {
    const { connection, sm } = await machine();
    await sm.start('p:{8}', { state: 'not the state', version: 99 });
    const flow = await sm.get('p:{8}');
    expect(flow).toMatchObject({ state: 'InsuranceCheck', version: 1, data: { state: 'not the state', version: 99 } });
    const keys = ['flow', 'history'].map((p) => connection.keys('state-machine').key('p:{8}', 'intake', p));
    expect(new Set(keys.map((k) => k.match(/\{[^}]*\}/)?.[0])).size).toBe(1);
    expect(await sm.delete('p:{8}')).toBe(true);
    expect(await sm.get('p:{8}')).toBeNull();
  });

  it('names the bad field and what is wrong with it, before sending anything', async () => {
    const { connection, sm } = await machine();
    const { byCommand } = await countCommands(connection, async () => {
      for (const [call, field, detail] of [
        [() => sm.start(''), 'id'],
        [() => sm.transition('', 'InsuranceCheck', 'CoverageVerified'), 'id'],
        [() => sm.get(''), 'id'],
        [() => sm.delete(''), 'id'],
        [() => sm.start('p', null as unknown as Record<string, unknown>), 'data', /must be a plain object/],
        [() => sm.start('p', 'payer' as unknown as Record<string, unknown>), 'data', /must be a plain object/],
        [() => sm.start('p', [] as unknown as Record<string, unknown>), 'data', /must be a plain object/],
        [() => sm.start('p', { '': 1 }), 'data', /field names must be non-empty/],
        [() => sm.start('p', { '\uD800': 1 }), 'data field name', /surrogates/],
        [
          () => sm.transition('p', 'InsuranceCheck', 'CoverageVerified', null as unknown as Record<string, unknown>),
          'data',
          /plain object/,
        ],
        [() => sm.transition('p', 'InsuranceCheck', 'Completed'), 'to', /transition InsuranceCheck -> Completed is not allowed$/],
        [
          () => sm.transition('p', 'Nope' as Step, 'Completed'),
          'from',
          /transition Nope -> Completed is not allowed: Nope is not a state$/,
        ],
        [
          () => sm.transition('p', 'InsuranceCheck', 'Nope' as Step),
          'to',
          /transition InsuranceCheck -> Nope is not allowed: Nope is not a state$/,
        ],
      ] as [() => Promise<unknown>, string, RegExp?][]) {
        await expectInvalid(call, field, detail);
      }
    });
    expect(byCommand).toEqual({});
    for (const [options, field, detail] of [
      [undefined, 'options', /object/],
      [null, 'options', /object/],
      ['intake', 'options', /object/],
      [{ connection, name: '', definition: intake }, 'name'],
      [{ connection, name: 'x', definition: intake, ttlMs: 0 }, 'ttlMs'],
      [{ connection, name: 'x', definition: intake, historyLimit: 0 }, 'historyLimit'],
    ] as [unknown, string, RegExp?][]) {
      await expectInvalid(() => new StateMachine(options as ConstructorParameters<typeof StateMachine>[0]), field, detail);
    }
    expect(sm.canTransition('Nope' as Step, 'Completed')).toBe(false);
    expect(sm.canTransition('InsuranceCheck', 'Nope' as Step)).toBe(false);
  });

  it('names what is wrong with a definition, and accepts state names up to 200 characters', async () => {
    const long = 'S'.repeat(200);
    const tooLong = 'S'.repeat(201);
    for (const [definition, field, detail] of [
      [null, 'definition', /is required/],
      ['A', 'definition', /is required/],
      [{ initial: 'A' }, 'definition.transitions', /must be an object/],
      [{ initial: 'A', transitions: null }, 'definition.transitions', /must be an object/],
      [{ initial: 'A', transitions: 'AB' }, 'definition.transitions', /must be an object/],
      [{ initial: 'A', transitions: { A: 'B', B: [] } }, 'definition.transitions.A', /must be an array of states/],
      [{ initial: 'A', transitions: { B: [] } }, 'definition.initial', /A is not a state of transitions/],
      [{ initial: 'A', transitions: { A: ['B'] } }, 'definition.transitions.A', /target B is not a state/],
      [{ initial: 'A', transitions: { A: [], B: [], C: [] } }, 'definition', /unreachable from A: B, C$/],
      [{ initial: 'A', transitions: { A: [''], '': [] } }, 'definition.transitions', /state names must be 1-200 characters/],
      [{ initial: 'A', transitions: { A: [tooLong], [tooLong]: [] } }, 'definition.transitions', /state names must be 1-200 characters/],
      [{ initial: 'A', transitions: { A: ['\uD800'], '\uD800': [] } }, 'definition.transitions', /surrogates/],
    ] as [unknown, string, RegExp][]) {
      await expectInvalid(() => compileDefinition(definition as StateMachineDefinition), field, detail);
    }
    expect(compileDefinition({ initial: 'A', transitions: { A: [long], [long]: [] } }).get('A')).toEqual(new Set([long]));
  });

  it('delete answers whether the flow existed', async () => {
    const { sm } = await machine();
    expect(await sm.delete('never')).toBe(false);
    await sm.start('once');
    expect(await sm.delete('once')).toBe(true);
    expect(await sm.delete('once')).toBe(false);
  });

  it('traces every operation on the state-machine channel, with the machine as attribute', async () => {
    const { sm } = await machine();
    const seen = await tracedOperations('state-machine', async () => {
      await sm.start('t1');
      await sm.transition('t1', 'InsuranceCheck', 'CoverageVerified');
      await sm.get('t1');
      await sm.delete('t1');
    });
    expect(seen.map((c) => c.operation)).toEqual(['start', 'transition', 'get', 'delete']);
    for (const c of seen) expect(c).toMatchObject({ module: 'state-machine', attributes: { machine: 'intake' } });
  });

  it.runIf(target === 'standalone')('needs noeviction: a server that may evict reports the state machine at risk', async () => {
    expect(await modulesAtRiskAfter((connection) => new StateMachine({ connection, name: 'intake', definition: intake }))).toEqual([
      'state-machine',
    ]);
  });

  it.runIf(target === 'standalone')('a frozen Redis fails with CommandTimeoutError; the flow never half-moves', async () => {
    const server = await startRedis();
    const connection = await RedisConnection.connect(server.url, { commandTimeoutMs: 300 });
    try {
      const sm = new StateMachine({ connection, name: 'intake', definition: intake });
      await sm.start('f1');
      server.pause();
      await expect(sm.transition('f1', 'InsuranceCheck', 'CoverageVerified')).rejects.toBeInstanceOf(CommandTimeoutError);
      server.resume();
      // The timed-out script may still have run when Redis woke up, but only as a whole.
      const flow = await sm.get('f1');
      expect([1, 2]).toContain(flow?.version);
      expect(flow?.history).toHaveLength(flow?.version ?? 0);
      expect(flow?.state).toBe(flow?.version === 2 ? 'CoverageVerified' : 'InsuranceCheck');
    } finally {
      server.resume();
      await connection.close().catch(() => {});
      await server.stop();
    }
  });
});
