// The module's Lua scripts, each defined once (name `session/<file>`, number of keys).
import { defineScript, VARIADIC_KEYS } from '../core/script.js';
import createSource from './scripts/create.lua';
import destroySource from './scripts/destroy.lua';
import destroyAllSource from './scripts/destroy-all.lua';
import getSource from './scripts/get.lua';
import listSource from './scripts/list.lua';
import rotateSource from './scripts/rotate.lua';
import saveSource from './scripts/save.lua';
import updateSource from './scripts/update.lua';

export const getScript = defineScript('session/get', getSource, 2);
export const updateScript = defineScript('session/update', updateSource, 2);
export const destroyScript = defineScript('session/destroy', destroySource, 2);
export const rotateScript = defineScript('session/rotate', rotateSource, 3);
export const saveScript = defineScript('session/save', saveSource, 2);

// Scripts that take one key per session of a user, so their key count varies per call.
/** `create.lua`: the new session, the user index, then the user's known sessions (for eviction). */
export const createScript = defineScript('session/create', createSource, VARIADIC_KEYS);
/** `destroy-all.lua`: the index, then the session hashes. */
export const destroyAllScript = defineScript('session/destroy-all', destroyAllSource, VARIADIC_KEYS);
/** `list.lua`: the index, then the session hashes. */
export const listScript = defineScript('session/list', listSource, VARIADIC_KEYS);
