/**
 * CRC-32 (IEEE 802.3, the zlib/PNG polynomial 0xEDB88320), table-driven. Node 20 has no
 * `zlib.crc32` (it arrived in Node 22), and a byte-at-a-time table lookup is fast enough
 * for the file store's records (hundreds of MB/s) without a dependency.
 */
const TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/** The CRC-32 of `bytes[start, end)` as an unsigned 32-bit integer. */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = -1;
  for (let i = start; i < end; i++) crc = TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}
