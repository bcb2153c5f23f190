import type { CallOptions, RedisConnection } from '../core/connection.js';
import { SessionKeys } from './layout.js';
import { destroyAllScript, destroyScript, type GetReply, getScript, listReply } from './scripts.js';
import type { ParsedToken } from './token.js';

/**
 * The reads and revocations that `SessionStore` and the express-session adapter share,
 * on the session keys of one connection. Not exported from the module: each of the two
 * builds its own over the same connection, so neither exposes the other's internals.
 */
export class SessionRecords {
  /** Key names of the module under the connection's prefix. */
  readonly keys: SessionKeys;

  /**
   * @param writes Call options of every write (revocations, saves): the durability of the
   * store, if it has one.
   */
  constructor(
    readonly connection: RedisConnection,
    readonly writes?: CallOptions,
  ) {
    this.keys = new SessionKeys(connection);
  }

  /**
   * Runs `get.lua`: the live session of `parsed`, slid by its own idle timeout (`''`), not at
   * all (`0`) or by `slide` ms. `null` when not live. One round trip.
   */
  read(parsed: ParsedToken, slide: '' | number): Promise<GetReply | null> {
    return this.connection.run(getScript, [this.keys.session(parsed.tag, parsed.id), this.keys.index(parsed.tag)], [parsed.id, slide]);
  }

  /** Revokes one session, leaving a tombstone for `tombstoneMs` (`0`: none). `true` when it was live. One round trip. */
  destroy(tag: string, id: string, tombstoneMs: number): Promise<boolean> {
    return this.connection.run(destroyScript, [this.keys.session(tag, id), this.keys.index(tag)], [id, tombstoneMs], this.writes);
  }

  /** Revokes every session of the user with routing tag `tag`. Resolves how many the index held. Two round trips. */
  async destroyAll(tag: string, tombstoneMs: number): Promise<number> {
    const index = this.keys.index(tag);
    const ids = await this.readIndex(index);
    return this.connection.run(destroyAllScript, [index, ...ids.map((id) => this.keys.session(tag, id))], [tombstoneMs], this.writes);
  }

  /** The session ids in a user's index, oldest first. One `ZRANGE`. */
  async readIndex(index: string): Promise<string[]> {
    return listReply(await this.connection.send(['ZRANGE', index, 0, -1], index)).map(String);
  }
}
