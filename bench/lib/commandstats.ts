// Total Redis calls on the bench server from INFO commandstats (inner Lua calls included).
import { Redis } from 'ioredis';

export class CommandStats {
  private readonly client: Redis;
  constructor(url: string) {
    this.client = new Redis(url);
  }
  async total(): Promise<number> {
    const info = await this.client.info('commandstats');
    let sum = 0;
    for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) if (m[1] !== 'info') sum += Number(m[2]);
    return sum;
  }
  close(): Promise<unknown> {
    return this.client.quit();
  }
}
