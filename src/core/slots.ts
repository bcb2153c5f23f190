// Redis Cluster's key-to-slot mapping, for keys that must share one slot without sharing a
// hash tag: a value kept per slot (rather than per id) serves every id of that slot and stays
// bounded in number, at most one per slot whatever the number of ids.

/** Number of hash slots of a Redis Cluster. */
export const SLOT_COUNT = 16384;

const TABLE = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  let crc = i << 8;
  for (let b = 0; b < 8; b++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  TABLE[i] = crc;
}

/** CRC16-CCITT (XMODEM) of the UTF-8 bytes of `text`, as Redis Cluster computes it. */
function crc16(text: string): number {
  let crc = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    // ASCII is its own UTF-8; anything else takes the byte path.
    // Stryker disable next-line StringLiteral: equivalent, Buffer.from reads an empty encoding name as its default, UTF-8
    if (code > 0x7f) return crc16Bytes(Buffer.from(text, 'utf8'));
    crc = ((crc << 8) & 0xffff) ^ (TABLE[((crc >> 8) ^ code) & 0xff] as number);
  }
  return crc;
}

function crc16Bytes(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ (TABLE[((crc >> 8) ^ byte) & 0xff] as number);
  return crc;
}

/** The hash slot of `key`: of its first non-empty `{...}` when it has one, as Redis Cluster does. */
export function keySlot(key: string): number {
  const open = key.indexOf('{');
  if (open !== -1) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) return crc16(key.slice(open + 1, close)) % SLOT_COUNT;
  }
  return crc16(key) % SLOT_COUNT;
}

let tags: string[] | undefined;

/**
 * A short hash tag whose keys land in `slot` (`s` and a base-36 number). Found once for every
 * slot on first use (about 170,000 CRC16 runs, a few milliseconds).
 */
export function slotTag(slot: number): string {
  if (!tags) {
    // Stryker disable next-line ArrayDeclaration: equivalent, the length only preallocates: every slot is assigned before use
    const found: string[] = new Array(SLOT_COUNT);
    let missing = SLOT_COUNT;
    for (let n = 0; missing > 0; n++) {
      const tag = `s${n.toString(36)}`;
      const s = crc16(tag) % SLOT_COUNT;
      if (found[s] === undefined) {
        found[s] = tag;
        missing--;
      }
    }
    tags = found;
  }
  return tags[slot] as string;
}
