/**
 * Hot-path decimal-text check for the venue parsers: exactly `isDecimalText` from
 * @tickmesh/contracts (`/^\d+(?:\.\d+)?$/`, 1–64 characters), by character codes instead of a regex,
 * which matters at two checks per level on every frame.
 */
export function isDecimalAscii(s: string): boolean {
  const n = s.length;
  if (n === 0 || n > 64) return false;
  let c = s.charCodeAt(0);
  if (c < 48 || c > 57) return false;
  let i = 1;
  for (; i < n; i++) {
    c = s.charCodeAt(i);
    if (c < 48 || c > 57) break;
  }
  if (i === n) return true;
  if (c !== 46 /* . */ || i === n - 1) return false;
  for (i++; i < n; i++) {
    c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}
