import { readLuaSource } from '../../scripts/lib/lua-source.js';

/** Vite plugin: imports `.lua` files as strings with their includes expanded, as the build does. */
export const luaText = {
  name: 'lua-text',
  enforce: 'pre' as const,
  load(id: string) {
    if (id.endsWith('.lua')) return `export default ${JSON.stringify(readLuaSource(id))};`;
    return null;
  },
};
