// Replies the queue decodes must be arrays: anything else (a nil, a status, a number from a
// server or proxy that answered something else) is refused with a typed error that names the
// call and what came, rather than decoded into empty or garbled jobs.
import { describe, expect, it } from 'vitest';
import { RedisCommandError } from '../../src/index.js';
import { list, toEntries } from '../../src/queue/job.js';
import { driver, target, testConnection } from '../harness/redis.js';

// The message of what `decode` throws, and whether it is a RedisCommandError.
function refusal(decode: () => unknown): [string, boolean] {
  try {
    decode();
  } catch (err) {
    return [(err as Error).message, err instanceof RedisCommandError];
  }
  return ['nothing thrown', false];
}

describe(`Queue reply decoding on ${target} via ${driver}`, () => {
  it('refuses a reply that is not an array with RedisCommandError naming the call and the reply type', async () => {
    const connection = await testConnection();
    const key = connection.keys('queue').key('jobs', 'scratch');
    const nil = await connection.send(['GET', key], key);
    const status = await connection.send(['SET', key, '1'], key);
    const count = await connection.send(['INCR', key], key);
    expect(refusal(() => list(nil, 'queue/get-job'))).toEqual(['queue/get-job: expected an array reply, got nil', true]);
    expect(refusal(() => toEntries(status, 'queue/fetch'))).toEqual(['queue/fetch: expected an array reply, got string', true]);
    expect(refusal(() => list(count, 'queue/reclaim'))).toEqual(['queue/reclaim: expected an array reply, got number', true]);
  });
});
