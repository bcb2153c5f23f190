import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { type ArgumentsHost, Controller, Get, HttpException, type INestApplication, Module } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { SkipThrottle, Throttle, ThrottlerGuard, ThrottlerModule, type ThrottlerModuleOptions } from '@nestjs/throttler';
import { describe, expect, it } from 'vitest';
import { type RedisConnection, ValidationError } from '../../../src/index.js';
import { NestThrottlerStorage } from '../../../src/rate-limit/index.js';
import { countCommands } from '../../harness/command-counter.js';
import { closeAfterAll, driver, target, testConnection } from '../../harness/redis.js';
import { hits, statuses } from './http.js';

// Decorators applied as functions: the test files are not compiled with `experimentalDecorators`.
type Decorate = (target: object, key: string, descriptor: PropertyDescriptor) => unknown;
function decorate(cls: { prototype: object }, method: string, ...decorators: Decorate[]): void {
  const descriptor = Object.getOwnPropertyDescriptor(cls.prototype, method) as PropertyDescriptor;
  for (const d of decorators) d(cls.prototype, method, descriptor);
}

class PatientsController {
  hello() {
    return { ok: true };
  }
  strict() {
    return { strict: true };
  }
  free() {
    return { free: true };
  }
  broken() {
    return 'never';
  }
}
Controller()(PatientsController);
decorate(PatientsController, 'hello', Get('hello'));
decorate(PatientsController, 'strict', Get('strict'), Throttle({ default: { limit: 1, ttl: 60_000 } }));
decorate(PatientsController, 'free', Get('free'), SkipThrottle());
decorate(PatientsController, 'broken', Get('zero'), Throttle({ default: { limit: 0, ttl: 60_000 } }));

// Answers HttpExceptions (the guard's 429) as Nest does, anything else with 400, and keeps it.
class RecordingFilter {
  readonly errors: unknown[] = [];
  catch(exception: unknown, host: ArgumentsHost) {
    const res = host.switchToHttp().getResponse();
    if (exception instanceof HttpException) return res.status(exception.getStatus()).json(exception.getResponse());
    this.errors.push(exception);
    res.status(400).json({ error: (exception as Error).message });
  }
}

async function nestApp(connection: RedisConnection, options: Omit<Exclude<ThrottlerModuleOptions, unknown[]>, 'storage'>) {
  class AppModule {}
  Module({
    imports: [ThrottlerModule.forRoot({ ...options, storage: new NestThrottlerStorage({ connection }) })],
    controllers: [PatientsController],
    providers: [{ provide: APP_GUARD, useClass: ThrottlerGuard }],
  })(AppModule);
  const app: INestApplication = await NestFactory.create(AppModule, { logger: false });
  const filter = new RecordingFilter();
  app.useGlobalFilters(filter);
  await app.listen(0, '127.0.0.1');
  closeAfterAll({ close: () => app.close() });
  const base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  return { base, errors: filter.errors };
}

describe(`@nestjs/throttler storage on ${target} via ${driver}`, () => {
  it('throttles a real Nest application over HTTP: one EVALSHA per throttler and request, @Throttle and @SkipThrottle honoured', async () => {
    const connection = await testConnection();
    const { base } = await nestApp(connection, {
      throttlers: [{ ttl: 60_000, limit: 3 }],
      getTracker: (req) => String(req.headers['x-patient']),
    });
    await hits(base, 1, { 'x-patient': 'warm' }); // loads the script outside the count
    const { result, byCommand } = await countCommands(connection, () => hits(base, 5, { 'x-patient': 'p1' }));
    expect(statuses(result)).toEqual([200, 200, 200, 429, 429]);
    expect(byCommand.evalsha).toBe(5);
    expect(await result[0]?.json()).toEqual({ ok: true });
    expect(result[0]?.headers.get('x-ratelimit-limit')).toBe('3');
    expect(result[0]?.headers.get('x-ratelimit-remaining')).toBe('2');
    expect(Number(result[3]?.headers.get('retry-after'))).toBeGreaterThanOrEqual(59);
    expect(statuses(await hits(base, 2, { 'x-patient': 'p1' }, '/strict'))).toEqual([200, 429]);
    expect(statuses(await hits(base, 5, { 'x-patient': 'p1' }, '/free'))).toEqual([200, 200, 200, 200, 200]);
    expect(statuses(await hits(base, 1, { 'x-patient': 'p2' }))).toEqual([200]);
  });

  it('several named throttlers count apart; blockDuration blocks from the first hit over the limit, then the count restarts', async () => {
    const connection = await testConnection();
    const { base } = await nestApp(connection, {
      throttlers: [
        { name: 'short', ttl: 60_000, limit: 2, blockDuration: 700 },
        { name: 'long', ttl: 3_600_000, limit: 100 },
      ],
      getTracker: () => 'p',
    });
    const first = await hits(base, 3);
    expect(statuses(first)).toEqual([200, 200, 429]);
    expect(first[0]?.headers.get('x-ratelimit-remaining-long')).toBe('99');
    expect(first[2]?.headers.get('retry-after-short')).toBe('1');
    await new Promise((r) => setTimeout(r, 800));
    // The block ended and took the window with it: a fresh count.
    expect(statuses(await hits(base, 3))).toEqual([200, 200, 429]);
  });

  it('the hit that reaches the limit exactly keeps its window; the block starts with the first hit over it and only then', async () => {
    const connection = await testConnection();
    const storage = new NestThrottlerStorage({ connection });
    const hit = () => storage.increment('p', 60_000, 2, 5_000, 'default');
    for (const totalHits of [1, 2]) {
      const under = await hit();
      expect(under).toMatchObject({ totalHits, isBlocked: false, timeToBlockExpire: 0 });
      expect(under.timeToExpire).toBeGreaterThan(50);
    }
    const over = await hit();
    expect(over).toMatchObject({ totalHits: 3, isBlocked: true });
    expect(over.timeToExpire).toBeLessThanOrEqual(5);
    expect(over.timeToBlockExpire).toBe(over.timeToExpire);
    // Later hits over the limit leave the block as it is: neither restarted nor lengthened.
    const later = await hit();
    expect(later).toMatchObject({ totalHits: 4, isBlocked: true });
    expect(later.timeToExpire).toBeLessThanOrEqual(5);
  });

  it('bad input (a request without an identity, a limit of 0) gets ValidationError, with nothing sent', async () => {
    const connection = await testConnection();
    const { base, errors } = await nestApp(connection, {
      throttlers: [{ ttl: 60_000, limit: 3 }],
      getTracker: (req) => String(req.headers['x-patient'] ?? ''),
      generateKey: (_context, tracker) => tracker, // readable keys: the tracker is the key
    });
    const { result, total } = await countCommands(connection, async () => [
      ...(await hits(base, 1)),
      ...(await hits(base, 1, { 'x-patient': 'p' }, '/zero')),
    ]);
    expect(statuses(result)).toEqual([400, 400]);
    expect(total).toBe(0);
    expect(errors.map((e) => (e as ValidationError).field)).toEqual(['key', 'limit']);
    for (const e of errors) expect(e).toBeInstanceOf(ValidationError);
    const storage = new NestThrottlerStorage({ connection });
    await expect(storage.increment('k', 0, 1, 0, 'default')).rejects.toThrow(/ttl/);
    await expect(storage.increment('k', 1000, 1, -1, 'default')).rejects.toThrow(/blockDuration/);
    await expect(storage.increment('k', 1000, 1, 0, '')).rejects.toThrow(/throttlerName/);
  });

  it('blockDuration 0 blocks nothing: hits over the limit stay rejected until the window ends', async () => {
    const connection = await testConnection();
    const { base } = await nestApp(connection, {
      throttlers: [{ ttl: 60_000, limit: 1, blockDuration: 0 }],
      getTracker: () => 'p',
    });
    expect(statuses(await hits(base, 4))).toEqual([200, 429, 429, 429]);
  });

  it('throttlers count apart even when generateKey gives them one key', async () => {
    const connection = await testConnection();
    const { base } = await nestApp(connection, {
      throttlers: [
        { name: 'short', ttl: 60_000, limit: 2 },
        { name: 'long', ttl: 60_000, limit: 100 },
      ],
      getTracker: () => 'p',
      generateKey: (_context, tracker) => tracker,
    });
    const seen = await hits(base, 3);
    expect(statuses(seen)).toEqual([200, 200, 429]);
    expect(seen[1]?.headers.get('x-ratelimit-remaining-long')).toBe('98');
  });
});
