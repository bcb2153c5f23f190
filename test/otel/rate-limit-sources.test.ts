// The rate-limit decisions metric for every source of a decision other than Redis: the outage
// policies (fail-open, fail-closed, the in-process insurance limiter) on a frozen server of the
// test's own, a full server's out-of-memory policies, and the allow and deny lists.
import { describe, expect, it } from 'vitest';
import { startRedis } from '../../scripts/lib/redis-servers.js';
import { FixedWindowLimiter } from '../../src/rate-limit/index.js';
import { startFullServer } from '../harness/full-server.js';
import { privateConnection } from '../harness/private-server.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { type Point, telemetryPerTest } from './sdk.js';

/** Each decision point as `limiter: decision/source`, with its count. */
const decisions = (points: Point[]) =>
  Object.fromEntries(
    points.map((p) => [
      `${p.attributes['redis_patterns.limiter']}: ${p.attributes['redis_patterns.decision']}/${p.attributes['redis_patterns.source']}`,
      p.value,
    ]),
  );

describe(`OpenTelemetry rate-limit decision sources on ${target} via ${driver}`, () => {
  const record = telemetryPerTest();

  it('a frozen server: fail-open allows, fail-closed rejects, the insurance limiter allows its share and then rejects, each under its source', async () => {
    const server = await startRedis();
    const { connection, close } = await privateConnection(server, { commandTimeoutMs: 5000 });
    try {
      const make = (name: string, outagePolicy: 'open' | 'closed' | { insurance: { share: number; probeIntervalMs: number } }) =>
        new FixedWindowLimiter({ connection, name, limit: 10, windowMs: 60_000, outagePolicy, timeoutMs: 300 });
      const open = make('open', 'open');
      const closed = make('closed', 'closed');
      // A share of 0.2 of 10: two checks allowed in process, then rejected until Redis answers.
      const insured = make('insured', { insurance: { share: 0.2, probeIntervalMs: 60_000 } });
      for (const limiter of [open, closed, insured]) await limiter.peek('caller'); // the script is loaded before the outage
      const sdk = record();
      server.pause();
      expect((await open.check('caller')).source).toBe('fail-open');
      expect((await closed.check('caller')).source).toBe('fail-closed');
      const insurance = [await insured.check('caller'), await insured.check('caller'), await insured.check('caller')];
      expect(insurance.map((r) => [r.source, r.allowed])).toEqual([
        ['insurance', true],
        ['insurance', true],
        ['insurance', false],
      ]);
      server.resume();
      expect(decisions(await sdk.metric('redis_patterns.rate_limit.decisions'))).toEqual({
        'open: allowed/fail-open': 1,
        'closed: rejected/fail-closed': 1,
        'insured: allowed/insurance': 2,
        'insured: rejected/insurance': 1,
      });
      expect(sdk.spans('rate-limit.check').map((s) => s.attributes['redis_patterns.outcome'])).toEqual([
        'fail-open',
        'fail-closed',
        'insurance-allowed',
        'insurance-allowed',
        'insurance-rejected',
      ]);
    } finally {
      server.resume();
      close();
      await server.stop();
    }
  });

  it('the allow list allows and the deny list rejects, each under its own source', async () => {
    const connection = await testConnection();
    const limiter = new FixedWindowLimiter({
      connection,
      name: 'listed',
      limit: 1,
      windowMs: 60_000,
      allowList: ['health-check'],
      denyList: ['banned'],
    });
    const sdk = record();
    await limiter.check('health-check');
    await limiter.check('health-check');
    await limiter.check('banned');
    expect(decisions(await sdk.metric('redis_patterns.rate_limit.decisions'))).toEqual({
      'listed: allowed/allow-list': 2,
      'listed: rejected/deny-list': 1,
    });
  });

  it('a peek alone is a decision from Redis; a penalty and a reward are none', async () => {
    const connection = await testConnection();
    const limiter = new FixedWindowLimiter({ connection, name: 'peeked', limit: 5, windowMs: 60_000 });
    const sdk = record();
    for (let i = 0; i < 3; i++) await limiter.peek('caller');
    await limiter.penalty('caller', 1);
    await limiter.reward('caller', 1);
    expect(decisions(await sdk.metric('redis_patterns.rate_limit.decisions'))).toEqual({ 'peeked: allowed/redis': 3 });
  });

  // The full server is private and standalone whatever the project's topology, so one topology runs it.
  it.runIf(target === 'standalone')(
    'a full server: the out-of-memory policy open allows, closed rejects, each under its source',
    async () => {
      const full = await startFullServer('noeviction');
      try {
        const { connection } = full;
        const open = new FixedWindowLimiter({ connection, name: 'oom-open', limit: 10, windowMs: 60_000, outOfMemoryPolicy: 'open' });
        const closed = new FixedWindowLimiter({ connection, name: 'oom-closed', limit: 10, windowMs: 60_000 });
        for (const limiter of [open, closed]) await limiter.peek('caller');
        await full.fill();
        const sdk = record();
        expect((await open.check('caller')).source).toBe('oom-open');
        expect((await closed.check('caller')).source).toBe('oom-closed');
        expect(decisions(await sdk.metric('redis_patterns.rate_limit.decisions'))).toEqual({
          'oom-open: allowed/oom-open': 1,
          'oom-closed: rejected/oom-closed': 1,
        });
      } finally {
        await full.close();
      }
    },
  );
});
