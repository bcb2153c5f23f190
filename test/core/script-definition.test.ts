import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { definedScripts, defineScript, LuaScript } from '../../src/kit/index.js';

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');

describe('script definitions', () => {
  it('carry their source, its SHA1 and their contract', () => {
    const parseReply = (reply: unknown) => Number(reply);
    const errors = {};
    const script = defineScript('test/definition-plain', 'return 1', { keys: 2, parseReply, errors });
    expect(script).toBeInstanceOf(LuaScript);
    expect(script.name).toBe('test/definition-plain');
    expect(script.source).toBe('return 1');
    expect(script.sha).toBe(sha1('return 1'));
    expect(script.keys).toBe(2);
    expect(script.replyLength).toBeUndefined();
    expect(script.parseReply).toBe(parseReply);
    expect(script.errors).toBe(errors);
    expect(definedScripts()).toContain(script);
    expect(defineScript('test/definition-variadic', 'return 1', { keys: 'variadic' }).keys).toBe('variadic');
    expect(defineScript('test/definition-none', 'return 1', { keys: 0 }).keys).toBe(0);
  });

  it('append core’s driver to a coalesced script, with Redis time only when asked for', () => {
    const call = 'local function call(k, a, res) res[#res + 1] = 1 end';
    const plain = defineScript('test/definition-coalesced', call, { keys: 1, coalesce: { replyLength: 1 } });
    expect(plain.replyLength).toBe(1);
    expect(plain.source.startsWith(`${call}\nlocal coalesce_reads_time = false\n`)).toBe(true);
    expect(plain.source).not.toContain("redis.call('TIME')");
    expect(plain.sha).toBe(sha1(plain.source));
    const timed = defineScript('test/definition-timed', call, { keys: 1, coalesce: { replyLength: 3, readsTime: true } });
    expect(timed.replyLength).toBe(3);
    expect(timed.source.startsWith(`${call}\nlocal coalesce_reads_time = true\n`)).toBe(true);
    expect(timed.source).toContain("redis.call('TIME')");
    expect(timed.sha).not.toBe(plain.sha);
    // A call that includes the clock itself gets it once.
    const ownClock = `-- core/lua/time.lua\nlocal function redis_now() return 1, 2 end\n${call}`;
    const included = defineScript('test/definition-own-clock', ownClock, { keys: 1, coalesce: { replyLength: 1, readsTime: true } });
    expect(included.source.startsWith(`${ownClock}\nlocal coalesce_reads_time = true\n`)).toBe(true);
    expect(included.source).not.toContain("redis.call('TIME')");
  });

  it('accept names module/file with an optional #variant, and nothing else', () => {
    for (const name of ['lock/acquire', 'rate-limit/gcra#2', 'a1/b-2', 'x/y#10']) {
      expect(new LuaScript(name, 'return 1', { keys: 1 }).name).toBe(name);
    }
    for (const name of [
      'lock',
      'Lock/acquire',
      'lock/acquire/x',
      '/acquire',
      'lock/',
      'lock/acquire#',
      'lock/acquire#a',
      ' lock/acquire',
      'lock/acquire ',
      'lock_x/acquire',
    ]) {
      expect(() => new LuaScript(name, 'return 1', { keys: 1 }), name).toThrow(
        `script name ${JSON.stringify(name)} must be 'module/file' (lowercase letters, digits, dashes), optionally '#<n>' for a variant`,
      );
    }
    expect(() => new LuaScript(7 as unknown as string, 'return 1', { keys: 1 })).toThrow('script name 7 must be');
    // Not a string, even one that reads as a good name.
    const posing = { toString: () => 'lock/acquire' } as unknown as string;
    expect(() => new LuaScript(posing, 'return 1', { keys: 1 })).toThrow("must be 'module/file'");
  });

  it('refuse keys that are not a count, and a coalesced script without fixed keys or a positive replyLength', () => {
    for (const keys of [-1, 1.5, Number.NaN]) {
      expect(() => new LuaScript('test/keys', 'return 1', { keys }), String(keys)).toThrow(
        "script test/keys: keys must be a non-negative integer or 'variadic'",
      );
    }
    const coalesced = 'script test/co: a coalesced script needs a fixed number of keys and a positive replyLength';
    expect(() => new LuaScript('test/co', 'x', { keys: 1, coalesce: { replyLength: 0 } })).toThrow(coalesced);
    expect(() => new LuaScript('test/co', 'x', { keys: 1, coalesce: { replyLength: 1.5 } })).toThrow(coalesced);
    expect(() => new LuaScript('test/co', 'x', { keys: 0, coalesce: { replyLength: 1 } })).toThrow(coalesced);
    expect(() => new LuaScript('test/co', 'x', { keys: 'variadic', coalesce: { replyLength: 1 } })).toThrow(coalesced);
    expect(new LuaScript('test/co', 'x', { keys: 1, coalesce: { replyLength: 1 } }).replyLength).toBe(1);
  });

  it('give the same script back for the same definition and refuse a different one under its name', () => {
    const parseReply = (reply: unknown) => String(reply);
    const errors = {};
    const first = defineScript('test/definition-twice', 'return 2', { keys: 1, parseReply, errors });
    expect(defineScript('test/definition-twice', 'return 2', { keys: 1, parseReply, errors })).toBe(first);
    const message = 'script test/definition-twice is defined twice with different sources or contracts';
    expect(() => defineScript('test/definition-twice', 'return 3', { keys: 1, parseReply, errors })).toThrow(message);
    expect(() => defineScript('test/definition-twice', 'return 2', { keys: 2, parseReply, errors })).toThrow(message);
    expect(() => defineScript('test/definition-twice', 'return 2', { keys: 1, errors })).toThrow(message);
    expect(() => defineScript('test/definition-twice', 'return 2', { keys: 1, parseReply, errors: {} })).toThrow(message);
    expect(() => defineScript('test/definition-twice', 'return 2', { keys: 1, parseReply })).toThrow(message);
    const co = defineScript('test/definition-twice-co', 'x', { keys: 1, coalesce: { replyLength: 1 } });
    expect(defineScript('test/definition-twice-co', 'x', { keys: 1, coalesce: { replyLength: 1 } })).toBe(co);
    expect(() => defineScript('test/definition-twice-co', 'x', { keys: 1, coalesce: { replyLength: 2 } })).toThrow(
      'script test/definition-twice-co is defined twice',
    );
    expect(definedScripts().filter((s) => s.name === 'test/definition-twice')).toEqual([first]);
  });
});
