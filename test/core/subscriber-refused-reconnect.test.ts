// A subscription Redis refused (an ACL without the channel) leaves nothing behind: after a
// reconnect the subscriber subscribes again only the channels it holds, so the refused one
// does not fail the resubscription and onReconnect listeners hear of it.
import { describe, expect, it } from 'vitest';
import { privateConnection, privateServers } from '../harness/private-server.js';
import { driver, killPubSubConnections, target } from '../harness/redis.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// The server is private and standalone whatever the project's topology, so one topology runs it.
describe.runIf(target === 'standalone')(`a refused subscription and a reconnect via ${driver}`, () => {
  const startServer = privateServers();

  it('a channel whose subscription was refused is not subscribed again after a reconnect', async () => {
    const server = await startServer();
    const admin = await privateConnection(server);
    await admin.connection.send(['ACL', 'SETUSER', 'one-channel', 'on', '>secret', '~*', '+@all', 'resetchannels', '&allowed']);
    const user = await privateConnection(`redis://one-channel:secret@127.0.0.1:${server.port}`);
    try {
      const sub = await user.connection.subscriber();
      await expect(sub.subscribe('refused', () => {})).rejects.toThrow(/NOPERM|permission/i);
      const heard: string[] = [];
      await sub.subscribe('allowed', (m) => heard.push(m));
      const back = new Promise<string>((resolve) => sub.onReconnect?.(() => resolve('back')));
      await killPubSubConnections(admin.connection.client);
      // Well within any reconnect of a client that retries every 50 ms.
      expect(await Promise.race([back, sleep(5000).then(() => 'not back')])).toBe('back');
      expect(await admin.connection.publish('allowed', 'after')).toBe(1);
      await expect.poll(() => heard).toEqual(['after']);
    } finally {
      user.close();
      admin.close();
    }
  });
});
