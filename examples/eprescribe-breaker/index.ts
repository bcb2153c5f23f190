// Two app instances send prescriptions to an e-prescribing service that goes down and
// comes back. They share one circuit through Redis: when app-1's calls fail, app-2 stops
// calling too, without having seen a failure itself; once the open period is over, one
// probe from either instance tests the service and closes the circuit for both.
import { once } from 'node:events';
import { createServer } from 'node:http';
import { RedisConnection } from 'redis-patterns';
import { CircuitBreaker, CircuitOpenError } from 'redis-patterns/circuit-breaker';
import { check, withRedis } from '../_shared/redis.js';

type Health = 'up' | 'down' | 'hanging';

/** The flaky dependency: a loopback HTTP service whose health the scenario switches. */
async function startEprescribeService() {
  const service = { health: 'up' as Health, hits: 0, url: '', close: async () => {} };
  const server = createServer((req, res) => {
    service.hits++;
    if (service.health === 'hanging') return; // never answers: the caller's timeout must end the call
    if (service.health === 'down') {
      res.writeHead(503).end('maintenance');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ accepted: req.url }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address() as { port: number };
  service.url = `http://127.0.0.1:${address.port}`;
  service.close = async () => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  };
  return service;
}

const started = Date.now();
function log(who: string, what: string): void {
  console.log(`t+${((Date.now() - started) / 1000).toFixed(2).padStart(5)}s  ${who.padEnd(6)} ${what}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

withRedis(async (url) => {
  const service = await startEprescribeService();
  const OPEN_MS = 1500;
  // Each instance may use the shared state it last read for this long (the default).
  const CACHE_MS = 100;

  async function appInstance(name: string) {
    const connection = await RedisConnection.connect(url, { prefix: 'clinic' });
    const breaker = new CircuitBreaker({
      connection,
      name: 'eprescribe',
      failureRate: 0.5,
      minimumRequests: 6,
      windowMs: 10_000,
      openMs: OPEN_MS,
      halfOpenMaxProbes: 1,
      timeoutMs: 300,
      redisTimeoutMs: 1000, // the demo may share a busy machine
      cacheMs: CACHE_MS,
    });
    breaker.on('opened', ({ retryAfterMs }) => log(name, `circuit OPEN for everyone (probes in ${retryAfterMs} ms)`));
    breaker.on('halfOpened', () => log(name, 'circuit HALF-OPEN: one probe may test the service'));
    breaker.on('closed', () => log(name, 'circuit CLOSED'));
    breaker.on('timeout', ({ timeoutMs }) => log(name, `call timed out after ${timeoutMs} ms`));
    let rx = 0;
    const send = async (): Promise<'sent' | 'failed' | 'rejected'> => {
      const id = `${name}-rx-${++rx}`;
      try {
        await breaker.execute(async (signal) => {
          const res = await fetch(`${service.url}/prescriptions/${id}`, { method: 'POST', signal });
          if (!res.ok) throw new Error(`HTTP ${res.status}`);
          return res.json();
        });
        log(name, `${id} sent`);
        return 'sent';
      } catch (error) {
        if (error instanceof CircuitOpenError) {
          log(name, `${id} queued for later: circuit ${error.state}, retry in ${error.retryAfterMs} ms (service not called)`);
          return 'rejected';
        }
        log(name, `${id} failed: ${(error as Error).message}`);
        return 'failed';
      }
    };
    // close() releases this instance only (the shared circuit stays as it is), then the connection goes.
    return {
      breaker,
      send,
      close: async () => {
        await breaker.close();
        await connection.close();
      },
    };
  }

  const app1 = await appInstance('app-1');
  const app2 = await appInstance('app-2');
  try {
    console.log('-- the service is up');
    for (let i = 0; i < 3; i++) {
      check((await app1.send()) === 'sent', 'app-1 sends while the service is up');
      check((await app2.send()) === 'sent', 'app-2 sends while the service is up');
    }

    console.log('-- the service hangs, then answers 503: app-1 keeps calling it');
    service.health = 'hanging';
    check((await app1.send()) === 'failed', 'a hanging call fails by timeout');
    service.health = 'down';
    while (app1.breaker.state === 'closed') {
      check((await app1.send()) === 'failed', 'calls fail while the service is down');
    }
    check(app1.breaker.state === 'open', 'app-1 opened the circuit');

    console.log('-- app-2 has seen no failure of its own, yet does not call the service');
    const hitsWhileOpen = service.hits;
    for (let i = 0; i < 3; i++) check((await app2.send()) === 'rejected', 'app-2 is rejected while the circuit is open');
    check(service.hits === hitsWhileOpen, 'no call reached the service while the circuit was open');
    check(app2.breaker.state === 'open', 'app-2 knows the circuit is open');

    console.log(`-- the service comes back; ${OPEN_MS} ms after opening, 10 calls arrive at once`);
    service.health = 'up';
    await sleep(OPEN_MS + 100);
    const hitsBeforeProbe = service.hits;
    const burst = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? app1 : app2).send()));
    check(burst.filter((r) => r === 'sent').length === 1, 'exactly one probe ran across both instances');
    check(service.hits === hitsBeforeProbe + 1, 'the service saw one call while half-open');

    console.log('-- closed again: both instances call through');
    check((await app1.send()) === 'sent', 'app-1 sends after recovery');
    check((await app2.send()) === 'sent', 'app-2 sends after recovery');
    check(
      [app1, app2].every((app) => app.breaker.state === 'closed'),
      'both instances see the circuit closed',
    );

    console.log('-- an operator switches the service off for the whole fleet, then back on');
    await app1.breaker.forceOpen(60_000);
    // The other instance sees it once the state it cached is older than cacheMs.
    await sleep(CACHE_MS + 20);
    check((await app2.send()) === 'rejected', 'forceOpen on app-1 stops app-2 too');
    await app2.breaker.forceClose();
    await sleep(CACHE_MS + 20);
    check((await app1.send()) === 'sent', 'forceClose on app-2 lets app-1 call again');
  } finally {
    await app1.close();
    await app2.close();
    await service.close();
  }
});
