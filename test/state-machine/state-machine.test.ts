import { describe, expect, it } from 'vitest';
import { startRedis } from '../../scripts/lib/redis-servers.js';
import { CommandTimeoutError, RedisConnection, ValidationError } from '../../src/index.js';
import {
  compileDefinition,
  InvalidTransitionError,
  StateConflictError,
  StateMachine,
  type StateMachineDefinition,
} from '../../src/state-machine/index.js';
import { countCommands } from '../harness/command-counter.js';
import { driver, target, testConnection } from '../harness/redis.js';

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
    expect(started).toMatchObject({ id: 'p1', state: 'InsuranceCheck', version: 1 });
    expect(started.at).toBeGreaterThan(Date.now() - 60_000);
    await sm.transition('p1', 'InsuranceCheck', 'CoverageVerified', { payer: 'Aetna', copay: 25 });
    await sm.transition('p1', 'CoverageVerified', 'InitialQuestions');
    await sm.transition('p1', 'InitialQuestions', 'SchedulingOffered', { answers: { smoker: false } });
    const done = await sm.transition('p1', 'SchedulingOffered', 'Completed', { copay: 30 });
    expect(done).toMatchObject({ state: 'Completed', version: 5 });
    const flow = await sm.get('p1');
    expect(flow).toMatchObject({
      id: 'p1',
      state: 'Completed',
      version: 5,
      data: { patient: 'Ana', payer: 'Aetna', copay: 30, answers: { smoker: false } },
    });
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

  it('rejects a transition from the wrong state with StateConflictError, changing nothing', async () => {
    const { sm } = await machine();
    await sm.start('p2');
    const err = await sm.transition('p2', 'CoverageVerified', 'InitialQuestions').catch((e) => e);
    expect(err).toBeInstanceOf(StateConflictError);
    expect(err).toMatchObject({ code: 'STATE_CONFLICT', expected: 'CoverageVerified', actual: 'InsuranceCheck' });
    expect(await sm.get('p2')).toMatchObject({ state: 'InsuranceCheck', version: 1 });
    const missing = await sm.transition('nobody', 'InsuranceCheck', 'CoverageVerified').catch((e) => e);
    expect(missing).toMatchObject({ expected: 'InsuranceCheck', actual: null });
    expect(await sm.get('nobody')).toBeNull();
  });

  it('start() refuses to overwrite an existing flow', async () => {
    const { sm } = await machine();
    await sm.start('p3');
    await sm.transition('p3', 'InsuranceCheck', 'CoverageVerified');
    const err = await sm.start('p3').catch((e) => e);
    expect(err).toBeInstanceOf(StateConflictError);
    expect(err).toMatchObject({ expected: null, actual: 'CoverageVerified' });
  });

  it('of concurrent transitions out of one state, exactly one wins', async () => {
    const { sm } = await machine();
    await sm.start('p4');
    await sm.transition('p4', 'InsuranceCheck', 'CoverageVerified');
    await sm.transition('p4', 'CoverageVerified', 'InitialQuestions');
    await sm.transition('p4', 'InitialQuestions', 'SchedulingOffered');
    // 30 racers, half trying to complete, half trying to go back to the questions.
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) =>
        sm.transition('p4', 'SchedulingOffered', i % 2 ? 'Completed' : 'InitialQuestions', { winner: i }),
      ),
    );
    const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
    expect(won).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(StateConflictError);
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
      ['conflict', () => sm.transition('c1', 'InsuranceCheck', 'CoverageVerified').catch(() => null)],
    ] as const) {
      const { byCommand } = await countCommands(connection, fn as () => Promise<unknown>);
      expect(byCommand.evalsha, op).toBe(1);
      expect(byCommand.eval, op).toBeUndefined();
    }
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
      await expect(sm.transition('p7', 'Completed', 'InsuranceCheck')).rejects.toBeInstanceOf(InvalidTransitionError);
      await expect(sm.transition('p7', 'Nope' as Step, 'Completed')).rejects.toBeInstanceOf(ValidationError);
      await expect(sm.transition('', 'InsuranceCheck', 'CoverageVerified')).rejects.toBeInstanceOf(ValidationError);
      await expect(sm.start('p7', [] as unknown as Record<string, unknown>)).rejects.toBeInstanceOf(ValidationError);
      await expect(sm.start('p7', { '': 1 })).rejects.toBeInstanceOf(ValidationError);
      await expect(sm.get('')).rejects.toBeInstanceOf(ValidationError);
    });
    expect(byCommand).toEqual({});
    expect(sm.canTransition('SchedulingOffered', 'InitialQuestions')).toBe(true);
    expect(sm.canTransition('Completed', 'InsuranceCheck')).toBe(false);
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
