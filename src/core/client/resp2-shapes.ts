import type { RedisArg, RedisReply } from './types.js';

// ioredis 6 speaks RESP3 by default. Its default "legacy" reply mapping flattens maps and
// turns doubles into strings, but two shapes still differ from RESP2, which every module
// reads: XREAD/XREADGROUP answer a map (flattened to [key, entries, ...] instead of
// [[key, entries], ...]), and member-score replies come as [[member, score], ...] instead of
// [member, score, ...]. These helpers put both back, recognizing the shape rather than
// the protocol, so RESP2 replies (ioredis 5, a server that downgraded) pass unchanged.

const STREAM_READS = new Set(['XREAD', 'XREADGROUP']);
// Always member-score pairs in RESP3 when they return several; the others only with WITHSCORES / WITHVALUES.
const PAIR_REPLIES = new Set(['ZPOPMIN', 'ZPOPMAX']);
const PAIR_OPTIONS = new Set(['WITHSCORES', 'WITHVALUES']);

/** True when `args`' reply may need {@link toResp2Shape}: checked before adding a step to every command. */
export function mayNeedReshape(args: readonly RedisArg[]): boolean {
  const command = typeof args[0] === 'string' ? args[0].toUpperCase() : '';
  if (STREAM_READS.has(command) || PAIR_REPLIES.has(command)) return true;
  if (!command.startsWith('Z') && command !== 'HRANDFIELD') return false;
  return args.some((a) => typeof a === 'string' && PAIR_OPTIONS.has(a.toUpperCase()));
}

/** `reply` in the shape RESP2 gives it for the command `args`. */
export function toResp2Shape(args: readonly RedisArg[], reply: RedisReply): RedisReply {
  if (!Array.isArray(reply) || reply.length === 0) return reply;
  const command = String(args[0]).toUpperCase();
  if (STREAM_READS.has(command)) {
    if (Array.isArray(reply[0])) return reply;
    const streams: unknown[] = [];
    for (let i = 0; i + 1 < reply.length; i += 2) streams.push([reply[i], reply[i + 1]]);
    return streams;
  }
  return Array.isArray(reply[0]) ? reply.flat(1) : reply;
}
