import { defineConfig } from 'vitest/config';
import { luaText } from './test/harness/lua-plugin.js';

// `npm run test:mock`: test/mock/ runs against ioredis-mock, the in-memory fake many users
// unit-test their apps with. It never replaces real Redis as proof of behaviour; it states
// which modules work there (the README lists them).
export default defineConfig({
  plugins: [luaText],
  test: { include: ['test/mock/**/*.test.ts'], testTimeout: 20000 },
});
