// StateMachine.transition against the naive client code: HGET the state, compare in the
// client, then a MULTI with the writes (two round trips and not atomic: two callers can both
// pass the check). Each caller takes a flow from a pool so no two move the same flow at once.
import { Redis } from 'ioredis';
import { RedisConnection } from 'redis-patterns';
import { StateMachine } from 'redis-patterns/state-machine';
import type { BenchContext } from './lib/types.js';
import { versus } from './lib/versus.js';

type Step = 'InitialQuestions' | 'SchedulingOffered';
const FLOWS = 200;
const next = (s: Step): Step => (s === 'InitialQuestions' ? 'SchedulingOffered' : 'InitialQuestions');

/** Flows handed out one caller at a time, each with its current state. A move that did not happen throws. */
function pool(ids: string[], initial: Step) {
  const free = ids.map((id) => ({ id, state: initial }));
  return async (move: (id: string, from: Step, to: Step) => Promise<unknown>) => {
    const flow = free.shift() as { id: string; state: Step };
    try {
      await move(flow.id, flow.state, next(flow.state));
      flow.state = next(flow.state);
    } finally {
      free.push(flow);
    }
  };
}

/** A lost compare-and-set is a result; the pools own their flows, so one here is a bug of the bench. */
async function moved(result: Promise<{ moved: boolean }>): Promise<void> {
  if (!(await result).moved) throw new Error('conflict');
}

export default async function stateMachineBench(ctx: BenchContext): Promise<void> {
  const io = new Redis(ctx.redisUrl);
  // The two intake steps a flow can shuttle between forever.
  const sm = new StateMachine<Step>({
    connection: RedisConnection.from(io, { prefix: `bench-${Date.now()}` }),
    name: 'intake',
    definition: {
      initial: 'InitialQuestions',
      transitions: { InitialQuestions: ['SchedulingOffered'], SchedulingOffered: ['InitialQuestions'] },
    },
  });
  const ids = Array.from({ length: FLOWS }, (_, i) => `patient-${i}`);
  for (const id of ids) {
    await sm.start(id);
    await io.hset(`bench:naive-flow:${id}`, 'state', 'InitialQuestions', 'version', 1);
  }
  // Flows only read by the get rows: the same 4 moves on both sides, so the replies are alike.
  const readIds = Array.from({ length: FLOWS }, (_, i) => `reader-${i}`);
  const readPool = { ours: pool(readIds, 'InitialQuestions'), naive: pool(readIds, 'InitialQuestions') };
  const naiveMove = async (id: string, from: Step, to: Step) => {
    const key = `bench:naive-flow:${id}`;
    if ((await io.hget(key, 'state')) !== from) throw new Error('conflict');
    await io
      .multi()
      .hset(key, 'state', to, 'updatedAt', Date.now())
      .hincrby(key, 'version', 1)
      .rpush(`${key}:history`, JSON.stringify({ from, to, at: Date.now() }))
      .ltrim(`${key}:history`, -50, -1)
      .pexpire(key, 604_800_000)
      .pexpire(`${key}:history`, 604_800_000)
      .exec();
  };
  for (const id of readIds) {
    await sm.start(id);
    await io.hset(`bench:naive-flow:${id}`, 'state', 'InitialQuestions', 'version', 1);
  }
  // The pools hand flows out in turn: 4 rounds move every flow 4 times.
  for (let n = 0; n < 4 * FLOWS; n++) {
    await readPool.ours((flow, from, to) => moved(sm.transition(flow, from, to, { step: to })));
    await readPool.naive(naiveMove);
  }
  const naiveGet = (i: number) =>
    io
      .multi()
      .hgetall(`bench:naive-flow:${ids[i % FLOWS]}`)
      .lrange(`bench:naive-flow:${ids[i % FLOWS]}:history`, 0, -1)
      .exec();
  try {
    for (const concurrency of [1, 50]) {
      // Each side keeps its own pool over all rounds, so it always knows its flows' states.
      const naivePool = pool(ids, 'InitialQuestions');
      const ours = pool(ids, 'InitialQuestions');
      await versus(ctx, 'state-machine', concurrency, {
        transition: [
          ['naive HGET + MULTI (not atomic)', () => naivePool(naiveMove)],
          ['StateMachine.transition (Lua CAS)', () => ours((id, from, to) => moved(sm.transition(id, from, to, { step: to })))],
        ],
      });
      // Leave both sets of flows in InitialQuestions for the next round.
      for (const id of ids) {
        const flow = await sm.get(id);
        if (flow?.state === 'SchedulingOffered') await sm.transition(id, 'SchedulingOffered', 'InitialQuestions');
        await io.hset(`bench:naive-flow:${id}`, 'state', 'InitialQuestions');
      }
      await versus(ctx, 'state-machine', concurrency, {
        get: [
          ['naive HGETALL + LRANGE', naiveGet],
          ['StateMachine.get', (i) => sm.get(readIds[i % FLOWS] as string)],
        ],
      });
    }
  } finally {
    for (const id of [...ids, ...readIds]) {
      await sm.delete(id);
      await io.del(`bench:naive-flow:${id}`, `bench:naive-flow:${id}:history`);
    }
    await io.quit();
  }
}
