import { createHmac } from 'node:crypto';
import { tracingChannel } from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import { addGaugeSource, type GaugeSource, liveGaugeSources, setIdentifierHashKey } from '../../src/core/telemetry.js';
import { Instrument, type OperationContext } from '../../src/kit/index.js';

/** The contexts published on `tracing:redis-patterns:<module>:start` while `fn` runs, and which of the channel's events fired. */
async function traced(module: string, fn: () => Promise<unknown>, listen: 'start' | 'asyncEnd' | 'error' | 'end' = 'start') {
  const contexts: OperationContext[] = [];
  const events: string[] = [];
  const channel = tracingChannel<object, OperationContext>(`redis-patterns:${module}`);
  const handlers = {
    start: (c: OperationContext) => events.push('start') && contexts.push(c),
    end: () => events.push('end'),
    asyncStart: () => events.push('asyncStart'),
    asyncEnd: () => events.push('asyncEnd'),
    error: () => events.push('error'),
  };
  // Node takes any subset of the handlers; its types want all five.
  const only = { [listen]: handlers[listen] } as unknown as Parameters<typeof channel.subscribe>[0];
  channel.subscribe(only);
  try {
    await fn().catch(() => {});
  } finally {
    channel.unsubscribe(only);
  }
  return { contexts, events };
}

afterEach(() => setIdentifierHashKey(undefined));

describe('Instrument', () => {
  it('builds no context while nobody listens', async () => {
    const instrument = new Instrument('quiet-mod');
    expect(instrument.enabled).toBe(false);
    expect((instrument.channel.start as unknown as { name: string }).name).toBe('tracing:redis-patterns:quiet-mod:start');
    let seen: OperationContext | undefined | 'unset' = 'unset';
    expect(
      await instrument.trace('op', {}, 'id', async (context) => {
        seen = context;
        return 5;
      }),
    ).toBe(5);
    expect(seen).toBeUndefined();
  });

  it('is enabled by a subscriber to any of start, end, asyncEnd or error', async () => {
    for (const listen of ['start', 'end', 'asyncEnd', 'error'] as const) {
      const instrument = new Instrument(`listen-${listen.toLowerCase()}`);
      let seen: OperationContext | undefined;
      const { events } = await traced(
        instrument.module,
        () =>
          instrument.trace('op', {}, undefined, async (context) => {
            seen = context;
            if (listen === 'error') throw new Error('failed');
          }),
        listen,
      );
      expect(seen, listen).toBeDefined();
      expect(events, listen).toEqual([listen]);
    }
  });

  it('publishes the module, operation and attributes, a subject only with a hash key, and a carrier when given', async () => {
    const instrument = new Instrument('traced-mod');
    const run = (identifier: string | undefined, carrier?: Record<string, string>) =>
      traced('traced-mod', () =>
        instrument.trace(
          'check',
          { name: 'api', limit: 5 },
          identifier,
          async (context) => {
            if (context) context.outcome = 'allowed';
            return 'ok';
          },
          carrier,
        ),
      );
    const plain = (await run('user-1')).contexts[0];
    expect(plain).toMatchObject({ module: 'traced-mod', operation: 'check', attributes: { name: 'api', limit: 5 }, outcome: 'allowed' });
    expect(plain).not.toHaveProperty('subject');
    expect(plain).not.toHaveProperty('carrier');

    setIdentifierHashKey('secret');
    const hashed = (await run('user-1', { traceparent: 'x' })).contexts[0];
    const expected = createHmac('sha256', 'secret').update('user-1').digest().subarray(0, 16).toString('base64url');
    expect(hashed?.subject).toBe(expected);
    expect(hashed?.carrier).toEqual({ traceparent: 'x' });
    expect(hashed?.result).toBe('ok');
    expect((await run(undefined)).contexts[0]).not.toHaveProperty('subject');
    setIdentifierHashKey(Buffer.from('secret'));
    expect((await run('user-1')).contexts[0]?.subject).toBe(expected);
    setIdentifierHashKey(undefined);
    expect((await run('user-1')).contexts[0]).not.toHaveProperty('subject');
  });
});

describe('gauge sources', () => {
  it('are listed while registered and alive, and no longer once removed', () => {
    const source: GaugeSource = { module: 'gauge-mod', attributes: { name: 'q' }, read: () => ({ backlog: 1 }) };
    const remove = addGaugeSource(source);
    expect(liveGaugeSources()).toContain(source);
    remove();
    expect(liveGaugeSources()).not.toContain(source);
  });
});
