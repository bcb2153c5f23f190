// While the server stays down, the driver fails one reconnect after another: the subscriber
// reports the loss once, and once it is back, onReconnect fires once and a subscribe made
// during the outage resolves.
import { describe, expect, it } from 'vitest';
import { privateConnection, privateServers } from '../harness/private-server.js';
import { driver, target } from '../harness/redis.js';

// The server is private and standalone whatever the project's topology, so one topology runs it.
describe.runIf(target === 'standalone')(`a subscriber whose server stays down via ${driver}`, () => {
  const startServer = privateServers();

  it('reports one loss and one reconnect for an outage of many failed attempts', async () => {
    const server = await startServer();
    const { connection, close } = await privateConnection(server);
    try {
      const sub = await connection.subscriber();
      const channel = connection.keys('test').key('repeated');
      await sub.subscribe(channel, () => {});
      const heard: string[] = [];
      sub.onDisconnect?.(() => heard.push('lost'));
      const back = new Promise<void>((resolve) => sub.onReconnect?.(() => resolve()));
      sub.onReconnect?.(() => heard.push('back'));
      await server.kill();
      // The client retries every 50 ms: several attempts fail meanwhile.
      await new Promise((resolve) => setTimeout(resolve, 600));
      const during = sub.subscribe(channel, () => {});
      await server.restart();
      await back;
      await during;
      expect(heard).toEqual(['lost', 'back']);
    } finally {
      close();
    }
  });
});
