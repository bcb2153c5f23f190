import { describe, expect, it } from 'vitest';
import { keySlot, SLOT_COUNT, slotTag } from '../../src/core/slots.js';
import { testConnection } from '../harness/redis.js';

// An independent CRC16-CCITT (XMODEM), bit by bit, as the Redis Cluster specification gives it.
function referenceSlot(key: string): number {
  const open = key.indexOf('{');
  let hashed = key;
  if (open !== -1) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) hashed = key.slice(open + 1, close);
  }
  let crc = 0;
  for (const byte of Buffer.from(hashed, 'utf8')) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

const samples = [
  '',
  'a',
  'foo',
  'bar',
  '123456789',
  '{user1000}.following',
  '{user1000}.followers',
  'foo{}{bar}',
  'foo{{bar}}zap',
  'foo{bar}{zap}',
  '}{x}',
  'x{y',
  'user}1000',
  '{',
  '{}',
  'ünïcødé',
  'a{日本語}b',
  'é',
  '🩺',
  `${'z'.repeat(300)}\u0080`,
  'app:lock:{order%3A42}:fence',
];

describe('key slots', () => {
  it('match the slots Redis Cluster documents', () => {
    expect(SLOT_COUNT).toBe(16384);
    expect(keySlot('foo')).toBe(12182);
    expect(keySlot('bar')).toBe(5061);
    expect(keySlot('123456789')).toBe(0x31c3);
    expect(keySlot('{user1000}.following')).toBe(keySlot('{user1000}.followers'));
    expect(keySlot('foo{bar}{zap}')).toBe(keySlot('bar'));
    expect(keySlot('foo{{bar}}zap')).toBe(keySlot('{bar'));
  });

  it('match a bit-by-bit CRC16 of the hash tag, for ASCII and non-ASCII keys', () => {
    for (const key of samples) expect(keySlot(key), key).toBe(referenceSlot(key));
  });

  it('match the server', async () => {
    const conn = await testConnection();
    const fromServer = await conn.send(['CLUSTER', 'KEYSLOT', 'foo']).catch(() => undefined);
    // Standalone servers refuse CLUSTER KEYSLOT; the cluster projects compare every sample.
    if (fromServer === undefined) return;
    for (const key of samples) expect(keySlot(key), key).toBe(Number(await conn.send(['CLUSTER', 'KEYSLOT', key])));
  });

  it('slotTag gives a short tag of every slot', () => {
    for (const slot of [0, 1, 2, 5061, 12182, 16382, 16383]) {
      const tag = slotTag(slot);
      expect(tag).toMatch(/^s[0-9a-z]{1,4}$/);
      expect(keySlot(`app:lock:{${tag}}:fence`)).toBe(slot);
    }
    const all = new Set<string>();
    for (let slot = 0; slot < SLOT_COUNT; slot++) {
      const tag = slotTag(slot);
      expect(keySlot(tag)).toBe(slot);
      all.add(tag);
    }
    expect(all.size).toBe(SLOT_COUNT);
    // The first tag tried, `s0`, is the one of its slot.
    expect(slotTag(keySlot('s0'))).toBe('s0');
  });
});
