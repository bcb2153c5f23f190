// Every Lua script of the module with its contract: keys, argument types, parsed reply.
import { defineScript } from '../core/script.js';
import ackSource from './scripts/ack.lua';
import updateSource from './scripts/update.lua';

export const updateScript = defineScript<[id: string, ...fieldsAndValues: string[]], number>('offload/update', updateSource, {
  keys: 2,
  parseReply: Number,
});

/** Keys: the shard's dirty index, then the batch's record hashes (any number). */
export const ackScript = defineScript<[cleanTtlMs: number, ...idsAndVersions: string[]], number>('offload/ack', ackSource, {
  keys: 'variadic',
  parseReply: Number,
});
