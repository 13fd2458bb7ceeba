import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { declaredPng } from '../../test/helpers/declared-png.js';
import { UsageError } from '../frame/usage-error.js';
import { decodePngImage, grayscaleOf, pngSize } from './png-image.js';

/** A 2 × 3 (height × width) PNG: pixel (y, x) has red 10·x, green 100 + y, blue 255, alpha 255. */
function samplePng(): Buffer {
  const png = new PNG({ width: 3, height: 2 });
  for (let y = 0; y < 2; y++) {
    for (let x = 0; x < 3; x++) {
      png.data.set([10 * x, 100 + y, 255, 255], (y * 3 + x) * 4);
    }
  }
  return PNG.sync.write(png);
}

describe('decodePngImage', () => {
  it('reads channels last in [0, 1] by default', () => {
    const image = decodePngImage(samplePng(), '--image a.png', { layout: 'channels-last' });
    expect(image.shape).toEqual([2, 3, 3]);
    // pixel (1, 2): r 20, g 101, b 255
    expect(Array.from(image.values.subarray((1 * 3 + 2) * 3, (1 * 3 + 2) * 3 + 3))).toEqual(
      [20 / 255, 101 / 255, 1].map(Math.fround),
    );
  });

  it('reads channels first in [0, 255], and grayscale as luma', () => {
    const first = decodePngImage(samplePng(), '--image a.png', { layout: 'channels-first', range: 'byte' });
    expect(first.shape).toEqual([3, 2, 3]);
    // channel 1 (green) plane, pixel (1, 2)
    expect(first.values[1 * 6 + 1 * 3 + 2]).toBe(101);
    const gray = decodePngImage(samplePng(), '--image a.png', { layout: 'grayscale', range: 'byte' });
    expect(gray.shape).toEqual([2, 3]);
    expect(gray.values[0]).toBeCloseTo(0.299 * 0 + 0.587 * 100 + 0.114 * 255, 4);
  });

  it('refuses a PNG declaring more elements than an explanation takes from its header, before decoding', () => {
    // The header of a 30,000 × 30,000 PNG: a few hundred kilobytes of such a file decode into
    // gigabytes, so nothing past the header is read (here there is nothing past it).
    const bomb = declaredPng(30_000, 30_000);
    expect(pngSize(bomb)).toEqual({ width: 30_000, height: 30_000 });
    expect(() => decodePngImage(bomb, '--image bomb.png', { layout: 'channels-last' })).toThrow(
      "--image bomb.png: 30000 × 30000 × 3 is 2700000000 elements, more than the 4194304 an explanation takes (the explainer's --max-image-elements)",
    );
    expect(pngSize(samplePng())).toEqual({ width: 3, height: 2 });
    expect(pngSize(Buffer.from('not a png at all, not even close'))).toBeUndefined();
  });

  it('names the file when it is not a PNG', () => {
    expect(() => decodePngImage(Buffer.from('not a png'), '--image a.png', { layout: 'grayscale' })).toThrow(
      UsageError,
    );
    expect(() => decodePngImage(Buffer.from('not a png'), '--image a.png', { layout: 'grayscale' })).toThrow(
      /^--image a\.png: not a PNG image/,
    );
  });
});

describe('grayscaleOf', () => {
  it('averages channels in either layout to the same gray image', () => {
    const last = decodePngImage(samplePng(), 'a', { layout: 'channels-last' });
    const first = decodePngImage(samplePng(), 'a', { layout: 'channels-first' });
    const fromLast = grayscaleOf(last.values, last.shape, 'channels-last');
    const fromFirst = grayscaleOf(first.values, first.shape, 'channels-first');
    expect(Array.from(fromFirst)).toEqual(Array.from(fromLast));
    expect(fromLast[0]).toBeCloseTo((0 + 100 / 255 + 1) / 3, 6);
  });
});
