// The adapter's onReconnect (what the eviction check relies on to read the policy again after
// a failover): called on each reconnection, never for the client's first connection, whether
// or not the client was connected when the listener was added.
import { describe, expect, it } from 'vitest';
import { adaptClient } from '../../src/core/client/detect.js';
import { driver, rawClient, target, testConnection } from '../harness/redis.js';

describe.runIf(target === 'standalone')(`client onReconnect on ${target} via ${driver}`, () => {
  async function dropConnection(client: ReturnType<typeof adaptClient>): Promise<void> {
    const id = await client.send(['CLIENT', 'ID']);
    const admin = await testConnection();
    await admin.send(['CLIENT', 'KILL', 'ID', String(id)]);
  }

  it('a client connected already: its next connection calls the listener once', async () => {
    const client = adaptClient(await rawClient());
    expect(await client.send(['PING'])).toBe('PONG');
    let calls = 0;
    client.onReconnect?.(() => calls++);
    await dropConnection(client);
    await expect.poll(() => calls, { timeout: 5000 }).toBe(1);
    expect(await client.send(['PING'])).toBe('PONG');
    expect(calls).toBe(1);
  });

  it('a client still connecting: its first connection is no reconnect, the next one is', async () => {
    const client = adaptClient(await rawClient());
    let calls = 0;
    client.onReconnect?.(() => calls++);
    expect(await client.send(['PING'])).toBe('PONG');
    expect(calls).toBe(0);
    await dropConnection(client);
    await expect.poll(() => calls, { timeout: 5000 }).toBe(1);
  });
  it('a listener stopped with the function it was given back is not called; the other listeners of the client still are', async () => {
    const raw = await rawClient();
    const first = adaptClient(raw);
    const second = adaptClient(raw);
    expect(await first.send(['PING'])).toBe('PONG');
    const heard: string[] = [];
    const stop = first.onReconnect?.(() => heard.push('stopped'));
    second.onReconnect?.(() => heard.push('kept'));
    stop?.();
    await dropConnection(first);
    await expect.poll(() => heard, { timeout: 5000 }).toEqual(['kept']);
    expect(await first.send(['PING'])).toBe('PONG');
    expect(heard).toEqual(['kept']);
  });
  it('a listener added after every other one was stopped is called on the next reconnection', async () => {
    const client = adaptClient(await rawClient());
    expect(await client.send(['PING'])).toBe('PONG');
    client.onReconnect?.(() => {})?.();
    let calls = 0;
    client.onReconnect?.(() => calls++);
    await dropConnection(client);
    await expect.poll(() => calls, { timeout: 5000 }).toBe(1);
  });
  it("stopping every listener leaves no 'ready' listener behind on the user's client", async () => {
    const raw = (await rawClient()) as { listenerCount(event: string): number };
    const client = adaptClient(raw);
    const before = raw.listenerCount('ready');
    const stops = [client.onReconnect?.(() => {}), client.onReconnect?.(() => {})];
    expect(raw.listenerCount('ready')).toBe(before + 1);
    for (const stop of stops) stop?.();
    expect(raw.listenerCount('ready')).toBe(before);
  });
});
