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

/** The signed checksum OKX would push for a book whose best levels are `bids`/`asks` (best first). */
export function okxChecksum(bids: readonly TextLevel[], asks: readonly TextLevel[]): number {
  return crc32Signed(checksumString(bids, asks));
}
