// What a user sees when Redis does not answer in time: a CommandTimeoutError naming what was
// waited for (the command, `a pipeline`, `a MULTI`, `SCRIPT LOAD`, `SCAN`) and the time waited,
// the connection's commandTimeoutMs unless a call gives its own timeoutMs.
import { describe, expect, it } from 'vitest';
import { CommandTimeoutError } from '../../src/index.js';
import { defineScript } from '../../src/kit/index.js';
import { privateConnection, privateServers } from '../harness/private-server.js';
import { driver, target } from '../harness/redis.js';

const one = defineScript('test/timeouts-one', 'return 1', { keys: 0 });

// Settles at once with what the call rejected with, so that every call can be started together.
const outcome = (call: Promise<unknown>): Promise<unknown> =>
  call.then(
    () => undefined,
    (e: unknown) => e,
  );

// The server is private and standalone whatever the project's topology, so one topology runs it.
describe.runIf(target === 'standalone')(`command timeouts via ${driver}`, () => {
  const startServer = privateServers();

  it('name the command, pipeline, MULTI, SCRIPT LOAD or SCAN, and the time waited', async () => {
    const server = await startServer();
    const { connection, close } = await privateConnection(server, { commandTimeoutMs: 150 });
    try {
      expect(await connection.send(['PING'])).toBe('PONG');
      server.pause();
      const cases: [Promise<unknown>, string][] = (
        [
          [connection.send(['GET', 'k'], 'k'), 'Redis did not answer GET within 150 ms'],
          [connection.send(['GET', 'k'], 'k', { timeoutMs: 60 }), 'Redis did not answer GET within 60 ms'],
          [
            connection.pipeline([
              ['GET', 'k'],
              ['GET', 'j'],
            ]),
            'Redis did not answer a pipeline within 150 ms',
          ],
          [connection.pipeline([['GET', 'k']], { atomic: true, timeoutMs: 60 }), 'Redis did not answer a MULTI within 60 ms'],
          [connection.preload([one]), 'Redis did not answer SCRIPT LOAD within 150 ms'],
          [connection.scan('*').next(), 'Redis did not answer SCAN within 150 ms'],
        ] as [Promise<unknown>, string][]
      ).map(([call, message]) => [outcome(call), message]);
      for (const [call, message] of cases) {
        const error = (await call) as CommandTimeoutError;
        expect(error, String(error)).toBeInstanceOf(CommandTimeoutError);
        expect(error.message).toBe(message);
        expect(error.timeoutMs).toBe(Number(message.match(/(\d+) ms$/)?.[1]));
      }
    } finally {
      server.resume();
      close();
    }
  });
});
