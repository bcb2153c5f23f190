// A message on the queue's control channel that a worker does not know (another version's, or
// anyone's) is ignored: it neither pauses the worker nor starts a maintenance pass; `due` does.
import { describe, expect, it } from 'vitest';
import { countCommands } from '../harness/command-counter.js';
import { driver, target } from '../harness/redis.js';
import { closeAfterTest, freshQueue } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe(`Unknown control messages on ${target} via ${driver}`, () => {
  it('an unknown message costs no maintenance pass; due starts one', async () => {
    const { connection, queue } = await freshQueue();
    // No pass of its own for a minute: only a wake-up starts one.
    const worker = closeAfterTest(await queue.process(() => undefined, { promoteIntervalMs: 60_000, visibilityTimeoutMs: 600_000 }));
    // The first pass, at start, is over.
    await sleep(500);
    const { stream } = queue.keys;
    const channel = `${stream}:control`;
    const publish = (await connection.shardedPubSub()) ? 'SPUBLISH' : 'PUBLISH';
    const unknown = await countCommands(connection, async () => {
      await connection.send([publish, channel, 'hello'], stream);
      await sleep(300);
    });
    expect(unknown.byCommand.evalsha ?? 0).toBe(0);
    expect(worker.isPaused).toBe(false);
    const due = await countCommands(connection, async () => {
      await connection.send([publish, channel, 'due'], stream);
      await sleep(300);
    });
    expect(due.byCommand.evalsha ?? 0).toBeGreaterThanOrEqual(1);
  });
});
