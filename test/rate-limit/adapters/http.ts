// Real HTTP for the adapter tests: a server on a free loopback port, closed after the file.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeAfterAll } from '../../harness/redis.js';

/** Waits for `server` to listen, registers it to close after the file, and returns its base URL. */
export async function baseUrl(server: Pick<Server, 'address' | 'once' | 'close' | 'listening'>): Promise<string> {
  if (!server.listening) await new Promise((r) => server.once('listening', r));
  closeAfterAll({ close: () => new Promise((r) => server.close(() => r(undefined))) });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** `n` GETs of `path`, one after the other. */
export async function hits(base: string, n: number, headers: Record<string, string> = {}, path = '/hello'): Promise<Response[]> {
  const out: Response[] = [];
  for (let i = 0; i < n; i++) out.push(await fetch(`${base}${path}`, { headers }));
  return out;
}

/** The statuses of `responses`. */
export const statuses = (responses: Response[]): number[] => responses.map((r) => r.status);
