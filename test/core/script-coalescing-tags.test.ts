// On a cluster coalesced calls are grouped by the part of their first key Redis hashes: the
// first non-empty `{...}` after the first `{`, else the whole key. Keys a module builds always
// carry a tag; these are keys as a kit user may pass them.
import { describe, expect, it } from 'vitest';
import { defineScript } from '../../src/kit/index.js';
import { countCommands } from '../harness/command-counter.js';
import { driver, target, testConnection, uniquePrefix } from '../harness/redis.js';

// Per call adds 1 to its key and answers the value after.
const add = defineScript<[], number>('test/tag-add', "local function call(k, a, res) res[#res + 1] = redis.call('INCR', KEYS[k + 1]) end", {
  keys: 1,
  coalesce: { replyLength: 1 },
  parseReply: (reply) => Number((reply as unknown[])[0]),
});

describe(`coalesced calls by hash slot on ${target} via ${driver}`, () => {
  it('one EVALSHA per hash tag, and per whole key when a key has none', async () => {
    const conn = await testConnection();
    const p = uniquePrefix();
    await conn.run(add, [`{${p}}warm`], []);
    const keys = [
      // No `{`: the whole key is hashed (a `}` alone does not make a tag): two slots.
      `${p}}1`,
      `${p}}2`,
      // A tag just after the key's first character: one slot.
      `x{${p}-a}1`,
      `y{${p}-a}2`,
      // A `}` before the tag does not close it: one slot.
      `x}{${p}-b}1`,
      `y}{${p}-b}2`,
    ];
    for (const node of await conn.client.primaries()) await node.send(['SCRIPT', 'LOAD', add.source]);
    const { result, byCommand } = await countCommands(conn, () => Promise.all(keys.map((key) => conn.run(add, [key], []))));
    expect(result).toEqual([1, 1, 1, 1, 1, 1]);
    expect(byCommand.evalsha).toBe(target === 'cluster' ? 4 : 1);
  });
});
