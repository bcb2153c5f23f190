import { defineScript, VARIADIC_KEYS } from '../core/script.js';
import claimSource from './scripts/claim.lua';
import deleteSource from './scripts/delete.lua';
import invalidateSource from './scripts/invalidate.lua';
import setSource from './scripts/set.lua';

// set, delete and invalidate take a varying number of keys (tag indexes, entries).
/** `cache/set.lua` with the entry and guard keys plus `n - 2` tag index keys. */
export const setScript = defineScript('cache/set', setSource, VARIADIC_KEYS);
/** `cache/claim.lua`: get-or-claim for callers waiting on another instance's load. */
export const claimScript = defineScript('cache/claim', claimSource, 2);
/** `cache/delete.lua` over `n` entry and guard keys. */
export const deleteScript = defineScript('cache/delete', deleteSource, VARIADIC_KEYS);
/** `cache/invalidate.lua` over a tag index and `n - 1` entry and guard keys. */
export const invalidateScript = defineScript('cache/invalidate', invalidateSource, VARIADIC_KEYS);
