import { PNG } from 'pngjs';

/**
 * A grayscale image (values in [0, 1], row-major) as an 8-bit grayscale PNG, through pngjs:
 * each value becomes round(value × 255).
 */
export function encodeGrayPng(pixels: Float32Array, width: number, height: number): Buffer {
  if (pixels.length !== width * height) {
    throw new RangeError(`expected ${width} × ${height} = ${width * height} pixels, got ${pixels.length}`);
  }
  const png = new PNG({ width, height, colorType: 0, inputColorType: 0, bitDepth: 8 });
  const data = Buffer.alloc(width * height);
  for (let i = 0; i < pixels.length; i++) data[i] = Math.round(Math.min(1, Math.max(0, pixels[i]!)) * 255);
  png.data = data;
  return PNG.sync.write(png, { colorType: 0, inputColorType: 0, bitDepth: 8 });
}

/**
 * A PNG as grayscale values in [0, 1] (byte / 255), the shapes model's input: colour images
 * are reduced to their luma (ITU-R BT.601 weights), alpha ignored.
 */
export function decodeGrayPng(bytes: Buffer): { pixels: Float32Array; width: number; height: number } {
  const png = PNG.sync.read(bytes);
  const { width, height, data } = png;
  const pixels = new Float32Array(width * height);
  for (let i = 0; i < pixels.length; i++) {
    const r = data[4 * i]!;
    const g = data[4 * i + 1]!;
    const b = data[4 * i + 2]!;
    const gray = r === g && g === b ? r : Math.round(0.299 * r + 0.587 * g + 0.114 * b);
    pixels[i] = gray / 255;
  }
  return { pixels, width, height };
}
