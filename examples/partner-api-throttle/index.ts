// A clinic's backend calls a pharmacy partner's API, which allows 5 calls per second per
// clinic account (a window from the account's first call) and answers 429 beyond that. Three clinics share one limiter with their own
// plans (per-call limits); outbound calls wait for a slot with waitFor instead of failing, in
// the order they were made; an internal health check is on the allow list. The partner's own
// API is an express-rate-limit server counting in Redis through ExpressRateLimitStore, so the
// example also shows that a client throttling itself this way never hits the partner's 429.
import type { AddressInfo } from 'node:net';
import express from 'express';
import { rateLimit } from 'express-rate-limit';
import { Redis } from 'ioredis';
import { RedisConnection } from 'redis-patterns';
import { ExpressRateLimitStore, type GcraLimit, GcraLimiter } from 'redis-patterns/rate-limit';
import { check, withRedis } from '../_shared/redis.js';

await withRedis(async (url) => {
  const redis = new Redis(url);
  const connection = RedisConnection.from(redis, { prefix: 'clinic' });

  // The partner: 5 calls per second per account, enforced by express-rate-limit with our store.
  const partner = express();
  partner.use(
    rateLimit({
      windowMs: 1000,
      limit: 5,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      keyGenerator: (req) => req.header('x-account') ?? '',
      store: new ExpressRateLimitStore({ connection, name: 'partner' }),
    }),
  );
  partner.get('/refills', (_req, res) => {
    res.json({ ok: true });
  });
  const server = partner.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // Our side: one limiter, a plan per clinic. Calls are evenly spaced (burst 1), a little under
  // the partner's quota: a burst of 5 plus 5 per second would put 6 calls in its first second.
  const plans = {
    standard: { limit: 4, periodMs: 1000, burst: 1 },
    trial: { limit: 2, periodMs: 1000, burst: 1 },
  } satisfies Record<string, GcraLimit>;
  const outbound = new GcraLimiter({ connection, name: 'partner-calls', ...plans.standard, allowList: ['health-check'] });
  const call = async (account: string, plan: keyof typeof plans) => {
    const slot = await outbound.waitFor(account, { limits: plans[plan], maxWaitMs: 10_000 });
    check(slot.allowed, `${account} got a slot within 10 s`);
    const r = await fetch(`${base}/refills`, { headers: { 'x-account': account } });
    return r.status;
  };

  try {
    console.log('clinic-a (standard: 4 per second) makes 15 calls at once, clinic-b (trial: 2 per second) 4:');
    const started = performance.now();
    const [a, b] = await Promise.all([
      Promise.all(Array.from({ length: 15 }, () => call('clinic-a', 'standard'))),
      Promise.all(Array.from({ length: 4 }, () => call('clinic-b', 'trial'))),
    ]);
    const seconds = (performance.now() - started) / 1000;
    console.log(`  clinic-a statuses: ${a.join(' ')}`);
    console.log(`  clinic-b statuses: ${b.join(' ')}`);
    console.log(`  all done in ${seconds.toFixed(1)} s`);
    check(
      [...a, ...b].every((s) => s === 200),
      'no call was refused by the partner: each waited for its slot',
    );
    check(seconds >= 3, 'the 15 calls of clinic-a were spread over 3.5 seconds (4 per second, one every 250 ms)');

    const health = await outbound.check('health-check');
    console.log(`health-check: ${health.source}, allowed=${health.allowed}`);
    check(health.source === 'allow-list' && health.allowed, 'the allow-listed health check never waits and takes nothing');

    const quick = await outbound.waitFor('clinic-b', { limits: plans.trial, maxWaitMs: 0 });
    console.log(`clinic-b asks for a slot right away without waiting: allowed=${quick.allowed}, retry in ${quick.retryAfterMs} ms`);
  } finally {
    server.close();
    await connection.close().catch(() => {});
    redis.disconnect();
  }
});
