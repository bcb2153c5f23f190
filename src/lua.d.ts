// Lua sources are embedded as strings at build time (tsup's text loader; a vitest plugin in tests).
declare module '*.lua' {
  const source: string;
  export default source;
}
