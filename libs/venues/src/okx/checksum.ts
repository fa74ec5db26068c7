/**
 * The OKX order-book checksum (PROTOCOLS.md §5.2, OKX docs "WS / Order book channel" → Checksum):
 *
 * - take the best 25 bids and asks; write each level `price:size` with the venue's ORIGINAL text
 *   (never re-formatted: `"0.5000"` stays `0.5000`);
 * - interleave `bid1:ask1:bid2:ask2:...`; when one side is shorter its missing entries are skipped
 *   (`3366.1:7:3366.8:9:3368:8:3372:8`);
 * - CRC32 (IEEE / zlib polynomial) of that text, read as a SIGNED 32-bit integer (`crc | 0`).
 *
 * From 23 June 2026 (production) the field is always 0 and "must no longer be used for data
 * integrity validation" (checksum-deprecation announcement, 21 May 2026): callers skip the check
 * when the pushed value is 0 or absent (sync.ts).
 *
 * Pure table-driven CRC32 (no node:zlib in venue code); the text is ASCII (validated decimals and
 * `:`), so each UTF-16 code unit is one byte.
 */

/** Levels per side that the checksum covers. */
export const CHECKSUM_LEVELS = 25;

const TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/** CRC32 (IEEE) of an ASCII string, as a signed int32. */
export function crc32Signed(text: string): number {
  let crc = -1;
  for (let i = 0; i < text.length; i++) crc = TABLE[(crc ^ text.charCodeAt(i)) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) | 0;
}

/** A level as OKX sends it (`[price, size, "0", orders]`) or as the book returns it (`[price, size]`). */
type TextLevel = readonly string[];

/** The check string: `bid1:ask1:bid2:ask2:...` over the best `levels` per side, each `price:size`. */
export function checksumString(
  bids: readonly TextLevel[],
  asks: readonly TextLevel[],
  levels = CHECKSUM_LEVELS,
): string {
  const parts: string[] = [];
  for (let i = 0; i < levels; i++) {
    const b = bids[i];
    const a = asks[i];
    if (b === undefined && a === undefined) break;
    if (b !== undefined) parts.push(`${b[0]}:${b[1]}`);
    if (a !== undefined) parts.push(`${a[0]}:${a[1]}`);
  }
  return parts.join(':');
}

/** Slicing-by-4 tables: T1..T3[n] = the CRC of byte n followed by 1..3 zero bytes. */
const [T1, T2, T3] = (() => {
  const out: Int32Array[] = [];
  let prev = TABLE;
  for (let k = 0; k < 3; k++) {
    const t = new Int32Array(256);
    for (let n = 0; n < 256; n++) t[n] = (prev[n]! >>> 8) ^ TABLE[prev[n]! & 0xff]!;
    out.push(t);
    prev = t;
  }
  return out as [Int32Array, Int32Array, Int32Array];
})();

/**
 * CRC32 state after feeding one ASCII string (no string building: the hot path streams text), four
 * characters per step (slicing-by-4), the rest one by one.
 */
function crcText(crc: number, text: string): number {
  const n = text.length;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    crc ^=
      text.charCodeAt(i) |
      (text.charCodeAt(i + 1) << 8) |
      (text.charCodeAt(i + 2) << 16) |
      (text.charCodeAt(i + 3) << 24);
    crc = T3[crc & 0xff]! ^ T2[(crc >>> 8) & 0xff]! ^ T1[(crc >>> 16) & 0xff]! ^ TABLE[crc >>> 24]!;
  }
  for (; i < n; i++) crc = TABLE[(crc ^ text.charCodeAt(i)) & 0xff]! ^ (crc >>> 8);
  return crc;
}

/** `0x3a` (`:`) fed to the CRC. */
function crcColon(crc: number): number {
  return TABLE[(crc ^ 0x3a) & 0xff]! ^ (crc >>> 8);
}

/**
 * The signed checksum OKX would push for a book whose best levels are `bids`/`asks` (best first).
 * Identical to `crc32Signed(checksumString(bids, asks, levels))`, but streamed: each level's price
 * and size text and the `:` separators go straight into the CRC, nothing is concatenated, and only
 * the first `levels` entries per side are read.
 */
export function okxChecksum(
  bids: readonly TextLevel[],
  asks: readonly TextLevel[],
  levels = CHECKSUM_LEVELS,
): number {
  let crc = -1;
  let first = true;
  const n = Math.min(levels, Math.max(bids.length, asks.length));
  for (let i = 0; i < n; i++) {
    const b = bids[i];
    const a = asks[i];
    if (b !== undefined) {
      if (!first) crc = crcColon(crc);
      first = false;
      crc = crcColon(crcText(crc, b[0]!));
      crc = crcText(crc, b[1]!);
    }
    if (a !== undefined) {
      if (!first) crc = crcColon(crc);
      first = false;
      crc = crcColon(crcText(crc, a[0]!));
      crc = crcText(crc, a[1]!);
    }
  }
  return (crc ^ -1) | 0;
}
