/** PNG headers for size checks: what a file declares before any pixel is decoded. */

/** The signature and IHDR chunk of a `width` × `height` 8-bit RGB PNG, and nothing more. */
export function declaredPng(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(13, 0);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    length,
    Buffer.from('IHDR', 'latin1'),
    ihdr,
    Buffer.alloc(4), // CRC, never checked: the size is refused first
  ]);
}
