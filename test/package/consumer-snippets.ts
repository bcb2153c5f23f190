// What a consumer writes, one snippet per entry of package.json `exports`: each runs one small
// real operation against Redis and checks its result. consumer.test.ts turns every snippet into a
// TypeScript file (typechecked) and, with the types stripped, an ES module and a CommonJS script
// (run against the test Redis). Each snippet also holds one `// @ts-expect-error` call, which
// proves that the types are really there (it would be unused if they resolved to `any`) and that
// the library rejects the same input at run time.

/** One entry's snippet. */
export interface Snippet {
  /** Named value imports per module specifier, besides what every snippet gets. */
  imports: Record<string, string[]>;
  /** Type-only imports, for the TypeScript files only. */
  types?: Record<string, string[]>;
  /**
   * TypeScript body of an async function. In scope: `assert` (node:assert's strict mode), `url`
   * (the Redis URL), `redis` (an ioredis client) and `connection` (a `RedisConnection` over it
   * with a key prefix of its own). Valid JavaScript once the types are stripped.
   */
  body: string;
}

/** Keyed by the subpath of package.json `exports` without its `./` (`.` is the root entry). */
export const snippets: Record<string, Snippet> = {
  '.': {
    imports: { redis: ['createClient'], 'redis-patterns': ['RedisConnection', 'RedisPatternsError', 'ValidationError', 'jsonSerializer'] },
    types: { 'redis-patterns': ['RedisConnectionOptions'] },
    body: `
      assert.equal(await connection.send(['PING']), 'PONG');

      // node-redis: a connected client you own.
      const nodeRedis = createClient({ url });
      await nodeRedis.connect();
      const options: RedisConnectionOptions = { prefix: connection.prefix, serializer: jsonSerializer, commandTimeoutMs: 1000, coalesceScripts: true };
      const viaNodeRedis = RedisConnection.from(nodeRedis, options);
      assert.equal(await viaNodeRedis.send(['SET', 'root-key', 'v1']), 'OK');
      assert.equal(await connection.send(['GET', 'root-key']), 'v1');
      await viaNodeRedis.close();
      await nodeRedis.close();

      // A connection that creates and owns its client (ioredis, the first installed).
      const owned = await RedisConnection.connect(url, { prefix: connection.prefix });
      assert.equal(await owned.send(['GET', 'root-key']), 'v1');
      await owned.close();

      const error = (() => {
        try {
          // @ts-expect-error commandTimeoutMs is a number
          RedisConnection.from(redis, { commandTimeoutMs: 'soon' });
        } catch (err) {
          return err;
        }
      })();
      assert.ok(error instanceof ValidationError && error instanceof RedisPatternsError);
      assert.equal(error.code, 'VALIDATION');
      await connection.send(['DEL', 'root-key']);
    `,
  },
  cache: {
    imports: { 'redis-patterns/cache': ['Cache'] },
    body: `
      const cache = new Cache({ connection, ttlMs: 60_000 });
      let loads = 0;
      const load = async () => {
        loads++;
        return { providerId: 'prov-7', slots: ['09:00', '09:30'] };
      };
      const first = await cache.wrap('availability:prov-7', load);
      const second = await cache.wrap('availability:prov-7', load);
      assert.deepEqual(second, first);
      assert.equal(second.slots.length, 2);
      assert.equal(loads, 1);
      // @ts-expect-error ttlMs is a number
      assert.throws(() => new Cache({ connection, ttlMs: '1m' }), { code: 'VALIDATION' });
      await cache.delete('availability:prov-7');
      await cache.close();
    `,
  },
  'circuit-breaker': {
    imports: { 'redis-patterns/circuit-breaker': ['CircuitBreaker'] },
    types: { 'redis-patterns/circuit-breaker': ['CircuitState'] },
    body: `
      const breaker = new CircuitBreaker({ connection, name: 'eprescribe', minimumRequests: 5 });
      const sent = await breaker.execute(async (signal) => (signal.aborted ? 'aborted' : 'sent'));
      assert.equal(sent, 'sent');
      const state: CircuitState = (await breaker.status()).state;
      assert.equal(state, 'closed');
      await breaker.reset();
      await breaker.close();
      // @ts-expect-error name is required
      assert.throws(() => new CircuitBreaker({ connection }), { code: 'VALIDATION' });
    `,
  },
  counters: {
    imports: { 'redis-patterns/counters': ['AtomicCounter', 'UniqueCounter'] },
    body: `
      const visitors = new UniqueCounter({ connection, retentionDays: 2 });
      await visitors.track('portal', ['patient-1', 'patient-2', 'patient-1']);
      assert.equal(await visitors.count('portal'), 2);
      const sent = new AtomicCounter({ connection, windowMs: 60_000, windows: 5 });
      const { value } = await sent.increment('sms:reminders', 3);
      assert.equal(value, 3);
      // @ts-expect-error members are strings
      await assert.rejects(visitors.track('portal', [42]), { code: 'VALIDATION' });
    `,
  },
  feed: {
    imports: { 'redis-patterns/feed': ['Feed'] },
    body: `
      const feed = new Feed<{ kind: string; title: string }>({ connection, maxItems: 50 });
      await feed.add('patient-7', { id: 'appt-991', at: Date.now(), data: { kind: 'appointment', title: 'Upcoming appointment' } });
      const { items } = await feed.page('patient-7', { limit: 10 });
      assert.equal(items.length, 1);
      assert.equal(items[0]?.data.title, 'Upcoming appointment');
      // @ts-expect-error an item needs an id
      await assert.rejects(feed.add('patient-7', { data: { kind: 'note', title: 'x' } }), { code: 'VALIDATION' });
      await feed.clear('patient-7');
    `,
  },
  geo: {
    imports: { 'redis-patterns/geo': ['GeoIndex'] },
    body: `
      const pharmacies = new GeoIndex<{ name: string }>({ connection, name: 'pharmacies' });
      await pharmacies.add({ member: 'ph-1', lon: -73.9857, lat: 40.7484, payload: { name: 'Main St' } });
      const found = await pharmacies.nearby({ lon: -73.99, lat: 40.75 }, { radius: 5, unit: 'km' });
      assert.equal(found[0]?.member, 'ph-1');
      assert.equal(found[0]?.payload?.name, 'Main St');
      // @ts-expect-error a position needs lat
      await assert.rejects(pharmacies.add({ member: 'ph-2', lon: 0 }), { code: 'VALIDATION' });
      await pharmacies.remove('ph-1');
    `,
  },
  kit: {
    imports: { 'redis-patterns/kit': ['defineScript', 'KeySpace', 'assertKeyPart', 'toConnection'] },
    body: `
      const hold = defineScript<[holderId: string, ttlMs: number], boolean>(
        'consumer/hold',
        "return redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) and 1 or 0",
        { keys: 1, parseReply: (reply) => reply === 1 },
      );
      const key = new KeySpace(connection.prefix, 'clinic').key('slot-9', 'hold');
      assert.equal(await connection.run(hold, [key], ['patient-42', 60_000]), true);
      assert.equal(await toConnection(redis).run(hold, [key], ['patient-7', 60_000]), false);
      assert.throws(() => assertKeyPart('slot', ''), { code: 'VALIDATION' });
      // @ts-expect-error the TTL is a number (Redis refuses it: a typed error)
      await assert.rejects(connection.run(hold, [key], ['patient-7', '60s']), { code: 'REDIS_ERROR' });
      await connection.send(['DEL', key]);
    `,
  },
  leaderboard: {
    imports: { 'redis-patterns/leaderboard': ['Leaderboard'] },
    body: `
      const board = new Leaderboard({ connection, name: 'adherence' });
      await board.increment('patient-42', 10);
      await board.increment('patient-7', 5);
      const top = await board.top(2);
      assert.deepEqual(top.map((e) => [e.member, e.rank]), [['patient-42', 1], ['patient-7', 2]]);
      // @ts-expect-error the amount is a number
      await assert.rejects(board.increment('patient-7', 'ten'), { code: 'VALIDATION' });
      await board.clear();
    `,
  },
  lock: {
    imports: { 'redis-patterns/lock': ['FencedLock'] },
    body: `
      const locks = new FencedLock({ connection, ttlMs: 5000 });
      const token = await locks.using('refill:rx-1042', async ({ token, signal }) => {
        assert.equal(signal.aborted, false);
        return token;
      });
      assert.ok(token > 0);
      assert.equal(await locks.tryAcquire('refill:rx-1042').then((lease) => lease?.release()), true);
      // @ts-expect-error the TTL is a number
      await assert.rejects(locks.tryAcquire('refill:rx-1042', { ttlMs: '5s' }), { code: 'VALIDATION' });
    `,
  },
  offload: {
    imports: { 'redis-patterns/offload': ['OffloadStore'] },
    body: `
      const store = new OffloadStore({ connection, name: 'appointments' });
      assert.equal(await store.update('appt-1', { status: 'checked-in', room: '4B' }), 1);
      const flushed: string[] = [];
      const result = await store.sync(async (records) => {
        for (const r of records) flushed.push(\`\${r.id}@\${r.version}\`);
      });
      assert.equal(result.flushed, 1);
      assert.deepEqual(flushed, ['appt-1@1']);
      // @ts-expect-error fields are an object
      await assert.rejects(store.update('appt-1', 'checked-in'), { code: 'VALIDATION' });
    `,
  },
  otel: {
    imports: {
      '@opentelemetry/api': ['trace'],
      'redis-patterns/otel': ['instrumentRedisPatterns', 'TRACED_MODULES'],
      'redis-patterns/rate-limit': ['FixedWindowLimiter'],
    },
    types: { '@opentelemetry/api': ['Tracer'] },
    body: `
      assert.ok(TRACED_MODULES.includes('rate-limit'));
      // A tracer that records span names and otherwise does what the API's no-op tracer does.
      const spans: string[] = [];
      const noop = trace.getTracerProvider().getTracer('consumer');
      const tracer: Tracer = {
        startSpan: (name, options, context) => {
          spans.push(name);
          return noop.startSpan(name, options, context);
        },
        startActiveSpan: noop.startActiveSpan.bind(noop) as Tracer['startActiveSpan'],
      };
      const instrumentation = instrumentRedisPatterns({ tracerProvider: { getTracer: () => tracer } });
      const limiter = new FixedWindowLimiter({ connection, name: 'otel', limit: 5, windowMs: 60_000 });
      assert.equal((await limiter.check('patient:42')).allowed, true);
      instrumentation.disable();
      assert.deepEqual(spans, ['rate-limit.check']);
      // @ts-expect-error the hash key is a string or a Buffer
      assert.throws(() => instrumentRedisPatterns({ identifierHashKey: 42 }).disable());
    `,
  },
  queue: {
    imports: { 'redis-patterns/queue': ['StreamQueue'] },
    types: { 'redis-patterns/queue': ['Job'] },
    body: `
      const queue = new StreamQueue<{ providerId: string }>({ connection, name: 'availability' });
      let ran!: (job: Job<{ providerId: string }>) => void;
      const processed = new Promise<Job<{ providerId: string }>>((resolve) => {
        ran = resolve;
      });
      const worker = await queue.process(async (job) => ran(job));
      await queue.add('sync', { providerId: 'p-42' }, { jobId: 'sync:p-42' });
      assert.equal((await processed).data.providerId, 'p-42');
      await worker.close();
      // @ts-expect-error delayMs is a number
      await assert.rejects(queue.add('sync', { providerId: 'p-42' }, { delayMs: '1m' }), { code: 'VALIDATION' });
    `,
  },
  'rate-limit': {
    imports: { 'redis-patterns/rate-limit': ['SlidingWindowLogLimiter', 'rateLimitHeaders'] },
    body: `
      const messages = new SlidingWindowLogLimiter({ connection, name: 'messages', limits: [{ limit: 2, windowMs: 60_000 }] });
      const answers = [];
      for (let i = 0; i < 3; i++) answers.push((await messages.check('patient:42')).allowed);
      assert.deepEqual(answers, [true, true, false]);
      assert.equal(rateLimitHeaders(await messages.peek('patient:42'))['RateLimit-Remaining'], '0');
      // @ts-expect-error cost is a number
      await assert.rejects(messages.check('patient:42', { cost: 'one' }), { code: 'VALIDATION' });
      await messages.reset('patient:42');
    `,
  },
  session: {
    imports: { 'redis-patterns/session': ['SessionStore'] },
    body: `
      const sessions = new SessionStore({ connection, idleTimeoutMs: 60_000 });
      const { token } = await sessions.create('nurse-12', { role: 'nurse' });
      const session = await sessions.get(token);
      assert.equal(session?.userId, 'nurse-12');
      assert.deepEqual(session?.data, { role: 'nurse' });
      await sessions.destroy(token);
      assert.equal(await sessions.get(token), null);
      // @ts-expect-error the user id is a string
      await assert.rejects(sessions.create(12, {}), { code: 'VALIDATION' });
    `,
  },
  'state-machine': {
    imports: { 'redis-patterns/state-machine': ['StateMachine'] },
    body: `
      type Step = 'InsuranceCheck' | 'CoverageVerified' | 'Completed';
      const intake = new StateMachine<Step>({
        connection,
        name: 'intake',
        definition: { initial: 'InsuranceCheck', transitions: { InsuranceCheck: ['CoverageVerified'], CoverageVerified: ['Completed'], Completed: [] } },
      });
      assert.equal((await intake.start('patient-42')).started, true);
      const moved = await intake.transition('patient-42', 'InsuranceCheck', 'CoverageVerified', { payer: 'Aetna' });
      assert.equal(moved.moved && moved.state, 'CoverageVerified');
      const lost = await intake.transition('patient-42', 'InsuranceCheck', 'CoverageVerified');
      assert.equal(lost.moved, false);
      // @ts-expect-error not a state of the definition
      await assert.rejects(intake.transition('patient-42', 'CoverageVerified', 'Discharged'), { code: 'INVALID_TRANSITION' });
    `,
  },
  streaks: {
    imports: { 'redis-patterns/streaks': ['Streaks'] },
    body: `
      const daily = new Streaks({ connection, period: 'day' });
      const day = 86_400_000;
      const now = Date.now();
      await daily.record('patient-7', 'evening-dose', now - day);
      const today = await daily.record('patient-7', 'evening-dose', now);
      assert.equal(today.current, 2);
      assert.equal(today.status, 'counted');
      // @ts-expect-error period is 'day' or 'week'
      assert.throws(() => new Streaks({ connection, period: 'month' }), { code: 'VALIDATION' });
      await daily.reset('patient-7', 'evening-dose');
    `,
  },
};
