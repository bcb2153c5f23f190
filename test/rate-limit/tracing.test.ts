// What every limiter operation publishes on the module's tracing channel: its name, the limiter's
// attributes, and its outcome (the test/otel files check the spans built from them).
import { channel } from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import { FixedWindowLimiter, TokenBucketLimiter } from '../../src/rate-limit/index.js';
import { privateConnection, privateServers } from '../harness/private-server.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { tracedOperations } from '../harness/traced.js';

describe(`rate-limit tracing on ${target} via ${driver}`, () => {
  const startServer = privateServers();

  it('names every operation, with the limiter and its algorithm, and the outcome of each answer', async () => {
    const connection = await testConnection();
    const limiter = new TokenBucketLimiter({
      connection,
      name: 'traced',
      capacity: 1,
      refillRate: 1,
      refillIntervalMs: 200,
      blockCache: true,
    });
    const operations = await tracedOperations('rate-limit', async () => {
      await limiter.check('a');
      await limiter.check('a');
      await limiter.check('a'); // the block cache answers
      await limiter.peek('b');
      await limiter.penalty('b', 1);
      await limiter.reward('b', 1);
      await limiter.reset('b');
    });
    expect(operations.map((o) => [o.operation, o.outcome])).toEqual([
      ['check', 'allowed'],
      ['check', 'rejected'],
      ['check', 'rejected'],
      ['peek', 'allowed'],
      ['penalty', 'allowed'],
      ['reward', 'allowed'],
      ['reset', undefined],
    ]);
    for (const o of operations) expect(o.attributes).toEqual({ limiter: 'traced', algorithm: 'token-bucket' });
  });

  it('a waitFor is one operation that measures its wait', async () => {
    const connection = await testConnection();
    const limiter = new FixedWindowLimiter({ connection, name: 'traced-wait', limit: 1, windowMs: 200 });
    await limiter.check('a');
    const started = performance.now();
    const operations = await tracedOperations('rate-limit', () => limiter.waitFor('a', { maxWaitMs: 2000 }));
    const waited = performance.now() - started;
    expect(operations.map((o) => [o.operation, o.outcome])).toEqual([['waitFor', 'allowed']]);
    const waitMs = operations[0]?.measurements?.waitMs ?? -1;
    expect(waitMs).toBeGreaterThan(0);
    expect(waitMs).toBeLessThanOrEqual(waited);
  });

  it("each round trip runs the algorithm's script, named for its number of limits", async () => {
    const connection = await testConnection();
    const one = new FixedWindowLimiter({ connection, name: 'named-1', limit: 5, windowMs: 60_000 });
    const two = new FixedWindowLimiter({
      connection,
      name: 'named-2',
      limits: [
        { limit: 5, windowMs: 60_000 },
        { limit: 50, windowMs: 3_600_000 },
      ],
    });
    const names: string[] = [];
    const onMessage = (message: unknown) => names.push(`${(message as { kind: string }).kind} ${(message as { name: string }).name}`);
    const commands = channel('redis-patterns:command');
    commands.subscribe(onMessage);
    try {
      await one.check('a');
      await two.check('a');
    } finally {
      commands.unsubscribe(onMessage);
    }
    // A first call may be sent twice (EVALSHA, then EVAL when the server does not have the script yet).
    expect([...new Set(names)]).toEqual(['script rate-limit/fixed-window', 'script rate-limit/fixed-window#2']);
  });

  it('answers without Redis are outcomes of their own: the outage policy and the insurance limiter', async () => {
    const server = await startServer();
    const { connection, close } = await privateConnection(server, { commandTimeoutMs: 300 });
    try {
      const window = { connection, limit: 10, windowMs: 60_000 };
      const closed = new FixedWindowLimiter({ ...window, name: 'closed', outagePolicy: 'closed' });
      const open = new FixedWindowLimiter({ ...window, name: 'open' });
      const insured = new FixedWindowLimiter({ ...window, name: 'insured', outagePolicy: { insurance: { share: 0.1 } } });
      await Promise.all([closed.check('x'), open.check('x'), insured.check('x')]);
      server.pause();
      const operations = await tracedOperations('rate-limit', async () => {
        await closed.check('x');
        await open.check('x');
        await insured.check('x');
        await insured.check('x');
      });
      expect(operations.map((o) => o.outcome)).toEqual(['fail-closed', 'fail-open', 'insurance-allowed', 'insurance-rejected']);
    } finally {
      server.resume();
      close();
    }
  });
});
