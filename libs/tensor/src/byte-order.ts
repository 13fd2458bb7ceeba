/**
 * The wire is little-endian; typed arrays use the host's order. On little-endian hosts
 * (x64, arm64: every machine we deploy to) raw bytes are viewed in place; on a big-endian
 * host they are copied and swapped, so the codec stays correct everywhere.
 */

/** True when this host stores multi-byte numbers little-endian, as the wire does. */
export const HOST_IS_LITTLE_ENDIAN: boolean = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reverses the byte order of each `width`-byte element of `bytes`, in place. */
export function swapByteOrderInPlace(bytes: Uint8Array, width: number): void {
  if (width === 1) return;
  for (let start = 0; start + width <= bytes.length; start += width) {
    for (let lo = start, hi = start + width - 1; lo < hi; lo++, hi--) {
      const byte = bytes[lo]!;
      bytes[lo] = bytes[hi]!;
      bytes[hi] = byte;
    }
  }
}
