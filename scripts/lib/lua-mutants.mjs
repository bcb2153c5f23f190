// The mutants of one Lua script: small one-line changes of the kind that slip through review.
// Each mutant changes exactly one line; strings and comments are never touched.

const FLIP = { '<': '<=', '<=': '<', '>': '>=', '>=': '>', '==': '~=', '~=': '==' };
const SWAP = { 'math.min': 'math.max', 'math.max': 'math.min', and: 'or', or: 'and' };

/**
 * The line with string contents and any comment blanked out (same length), so operators are
 * only found in code and columns still match the original line.
 */
export function codeOf(line) {
  let out = '';
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quote) {
      if (ch === '\\') {
        out += '__';
        i++;
      } else {
        out += ch === quote ? ch : '_';
        if (ch === quote) quote = '';
      }
    } else if (ch === '-' && line[i + 1] === '-') {
      return out.padEnd(line.length, ' ');
    } else {
      if (ch === "'" || ch === '"') quote = ch;
      out += ch;
    }
  }
  return out;
}

const balanced = (code) => {
  let depth = 0;
  for (const ch of code) {
    if ('([{'.includes(ch)) depth++;
    if (')]}'.includes(ch) && --depth < 0) return false;
  }
  return depth === 0;
};
// A line ending like this is continued on the next one.
const CONTINUES = /([,([{]|\b(and|or)|[-+*/=<>~]|\.\.)$/;

/**
 * Whether a line holding `redis.call` is a statement of its own: deleting it leaves valid Lua.
 * Block openers and returns are not, unless the whole block sits on the line.
 */
function deletable(code, previous) {
  const t = code.trim();
  if (!t.includes('redis.call') || !balanced(t) || CONTINUES.test(t) || CONTINUES.test(previous.trim())) return false;
  if (/^(elseif|else|end|until|return)\b/.test(t)) return false;
  return !/^(if|for|while|local function|function)\b/.test(t) || /\bend$/.test(t);
}

/** Every mutant of `source`: `{ line (1-based), original, mutated, mutation, occurrence? }` (`occurrence`: which of a line's identical mutations, from 1). */
export function luaMutants(source) {
  const lines = source.split('\n');
  const out = [];
  let previous = '';
  lines.forEach((original, i) => {
    const code = codeOf(original);
    const add = (at, length, replacement, mutation) => {
      const mutated = original.slice(0, at) + replacement + original.slice(at + length);
      out.push({ line: i + 1, original, mutated, mutation });
    };
    if (deletable(code, previous)) out.push({ line: i + 1, original, mutated: null, mutation: 'delete line' });
    for (const m of code.matchAll(/<=|>=|==|~=|<|>/g)) add(m.index, m[0].length, FLIP[m[0]], `${m[0]} → ${FLIP[m[0]]}`);
    for (const m of code.matchAll(/ ([+-]) 1(?![\w.])/g)) {
      const other = m[1] === '+' ? '-' : '+';
      add(m.index, m[0].length, ` ${other} 1`, `${m[1]} 1 → ${other} 1`);
      add(m.index, m[0].length, '', `${m[1]} 1 → (dropped)`);
    }
    for (const m of code.matchAll(/\bmath\.(min|max)\b|\b(and|or)\b/g)) add(m.index, m[0].length, SWAP[m[0]], `${m[0]} → ${SWAP[m[0]]}`);
    if (code.trim()) previous = code;
  });
  // A line can hold the same mutation twice (two `>` on one line): number those, left to right,
  // so the allow-list can name one of them.
  const count = new Map();
  for (const m of out) count.set(`${m.line}|${m.mutation}`, (count.get(`${m.line}|${m.mutation}`) ?? 0) + 1);
  const seen = new Map();
  for (const m of out) {
    const key = `${m.line}|${m.mutation}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
    if (count.get(key) > 1) m.occurrence = seen.get(key);
  }
  return out;
}

/** `source` with the mutant applied (a deleted line becomes empty, so line numbers stay put). */
export function applyMutant(source, mutant) {
  const lines = source.split('\n');
  lines[mutant.line - 1] = mutant.mutated ?? '';
  return lines.join('\n');
}
