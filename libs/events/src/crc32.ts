/**
 * CRC-32 (IEEE 802.3, the zlib/PNG polynomial 0xEDB88320) of the file store's records.
 * Node's `zlib.crc32` (Node 20.15 and later) computes it natively, several times faster than
 * a table in JavaScript, and it runs once per logged request; the table serves older Node 20
 * releases (the project supports >= 20.6).
 */
import zlib from 'node:zlib';

const TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/** The table-driven CRC-32 of `bytes[start, end)`: the fallback, and the tests' reference. */
export function crc32ByTable(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = -1;
  for (let i = start; i < end; i++) crc = TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

/** The CRC-32 of `bytes[start, end)` as an unsigned 32-bit integer. */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return nativeCrc32 ? nativeCrc32(bytes.subarray(start, end)) : crc32ByTable(bytes, start, end);
}
