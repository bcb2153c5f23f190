// What a case cost the bench server: Redis calls from INFO commandstats (inner Lua calls
// included) and Redis CPU time from INFO cpu (user + system, the whole server process).
import { Redis } from 'ioredis';

/** Totals at one moment; deltas between two are a case's cost. */
export interface ServerCost {
  calls: number;
  cpuUs: number;
}

export class CommandStats {
  private readonly client: Redis;
  constructor(url: string) {
    this.client = new Redis(url);
  }
  async total(): Promise<ServerCost> {
    const [commands, cpu] = await Promise.all([this.client.info('commandstats'), this.client.info('cpu')]);
    let calls = 0;
    for (const m of commands.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) if (m[1] !== 'info') calls += Number(m[2]);
    const seconds = (name: string) => Number(cpu.match(new RegExp(`^${name}:([\\d.]+)`, 'm'))?.[1] ?? 0);
    return { calls, cpuUs: (seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1e6 };
  }
  close(): Promise<unknown> {
    return this.client.quit();
  }
}
