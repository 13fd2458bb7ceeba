import { explainerV1 } from '@sightline/contracts';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { declaredPng } from '../../test/helpers/declared-png.js';
import { imageInputOf, imageInstance, imageLayoutOf } from './explain-image.js';

/** A width × height PNG whose pixel (x, y) is (x, y, 100). */
function png(width: number, height: number): Buffer {
  const image = new PNG({ width, height });
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) image.data.set([x, y, 100, 255], (y * width + x) * 4);
  return PNG.sync.write(image);
}

describe('imageLayoutOf', () => {
  it('reads the layout from the per-row shape, or takes --layout when it fits', () => {
    expect(imageLayoutOf([3, 64, 64], 'image')).toBe('channels-first');
    expect(imageLayoutOf([64, 64, 3], 'image')).toBe('channels-last');
    expect(imageLayoutOf([28, 28], 'image')).toBe('grayscale');
    expect(imageLayoutOf([28, 28, 1], 'image', 'grayscale')).toBe('grayscale');
    expect(() => imageLayoutOf([4], 'input')).toThrow(
      'input "input": per-row shape [4] is not a channels-last image',
    );
    expect(() => imageLayoutOf([64, 64, 3], 'image', 'channels-first')).toThrow('(--layout)');
  });
});

describe('imageInstance', () => {
  it("decodes a PNG into the input's layout as one row, named for the request's ImageInput", () => {
    const input = { name: 'image', datatype: 'FP32', shape: [-1, 3, 4, 5] };
    const instance = imageInstance(png(5, 4), '--image a.png', input, { range: 'byte' });
    expect(instance.tensor.shape).toEqual([1, 3, 4, 5]);
    expect(instance.image).toEqual({
      tensor: 'image',
      layout: explainerV1.ImageLayout.IMAGE_LAYOUT_CHANNELS_FIRST,
    });
    const data = instance.tensor.data as Float32Array;
    // Channel 0 is x, channel 1 is y, channel 2 is 100: element (c, y, x) at (c * 4 + y) * 5 + x.
    expect(data[(0 * 4 + 2) * 5 + 3]).toBe(3);
    expect(data[(1 * 4 + 2) * 5 + 3]).toBe(2);
    expect(data[(2 * 4 + 2) * 5 + 3]).toBe(100);
  });

  it('refuses an image of another size than the input takes, naming both', () => {
    const input = { name: 'image', datatype: 'FP32', shape: [-1, 64, 64, 3] };
    expect(() => imageInstance(png(5, 4), '--image a.png', input, {})).toThrow(
      '--image a.png: a 4 × 5 × 3 image, but input "image" takes [64, 64, 3] per row (channels-last)',
    );
  });

  it("refuses a PNG whose header declares another size than the input's, before decoding it", () => {
    const input = { name: 'image', datatype: 'FP32', shape: [-1, 64, 64, 3] };
    // A header only: decoding it would fail as "not a PNG"; the size is refused first.
    expect(() => imageInstance(declaredPng(640, 480), '--image big.png', input, {})).toThrow(
      '--image big.png: a 480 × 640 × 3 image, but input "image" takes [64, 64, 3] per row (channels-last)',
    );
    const first = { name: 'image', datatype: 'FP32', shape: [-1, 3, 64, 64] };
    expect(() => imageInstance(declaredPng(64, 65), '--image tall.png', first, {})).toThrow(
      '--image tall.png: a 3 × 65 × 64 image, but input "image" takes [3, 64, 64] per row (channels-first)',
    );
  });

  it('picks the image input by name when the model has several', () => {
    const inputs = [
      { name: 'a', datatype: 'FP32', shape: [-1, 2] },
      { name: 'b', datatype: 'FP32', shape: [-1, 8, 8] },
    ];
    expect(imageInputOf(inputs, 'b', 'm').name).toBe('b');
    expect(() => imageInputOf(inputs, undefined, 'm')).toThrow('name the image with --image-input');
    expect(() => imageInputOf(inputs, 'c', 'm')).toThrow('--image-input: model "m" has no input "c"');
  });
});
