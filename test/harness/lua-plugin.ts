import { readFileSync } from 'node:fs';

/** Vite plugin: imports `.lua` files as strings, as tsup's text loader does in the build. */
export const luaText = {
  name: 'lua-text',
  enforce: 'pre' as const,
  load(id: string) {
    if (id.endsWith('.lua')) return `export default ${JSON.stringify(readFileSync(id, 'utf8'))};`;
    return null;
  },
};
