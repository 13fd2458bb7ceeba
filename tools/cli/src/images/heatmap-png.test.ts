import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterEach, describe, expect, it } from 'vitest';
import { writeExplanationPng } from './explanation-png.js';
import { defaultHeatmapScale, renderHeatmapPng, writeHeatmapPng } from './heatmap-png.js';

const SIZE = 16;

/** A 16 × 16 heatmap: a hot square at rows 4-6, columns 9-11 peaking at (5, 10), a cold patch at the bottom left, zeros elsewhere. */
function sampleHeatmap() {
  const values = new Float64Array(SIZE * SIZE);
  for (let y = 4; y <= 6; y++) for (let x = 9; x <= 11; x++) values[y * SIZE + x] = 2;
  values[5 * SIZE + 10] = 5;
  for (let y = 12; y < 16; y++) for (let x = 0; x < 3; x++) values[y * SIZE + x] = -3;
  return { height: SIZE, width: SIZE, values };
}

function rgbAt(png: PNG, x: number, y: number): [number, number, number] {
  const offset = (y * png.width + x) * 4;
  return [png.data[offset]!, png.data[offset + 1]!, png.data[offset + 2]!];
}

let folder: string | undefined;
afterEach(async () => {
  if (folder) await rm(folder, { recursive: true, force: true });
  folder = undefined;
});

describe('renderHeatmapPng', () => {
  it('writes a PNG upscaled by an integer factor whose reddest pixel is where the attribution is largest', async () => {
    folder = await mkdtemp(join(tmpdir(), 'heatmap-'));
    const path = join(folder, 'heatmap.png');
    const underlay = Float64Array.from({ length: SIZE * SIZE }, (_, p) => p % SIZE);
    await writeHeatmapPng(path, sampleHeatmap(), { underlay });
    const png = PNG.sync.read(await readFile(path));
    const scale = defaultHeatmapScale(SIZE, SIZE);
    expect(scale).toBe(16);
    expect([png.width, png.height]).toEqual([SIZE * scale, SIZE * scale]);
    let best = { redness: Number.NEGATIVE_INFINITY, x: -1, y: -1 };
    for (let y = 0; y < png.height; y++) {
      for (let x = 0; x < png.width; x++) {
        const [r, g, b] = rgbAt(png, x, y);
        const redness = r - Math.max(g, b);
        if (redness > best.redness) best = { redness, x, y };
      }
    }
    expect([Math.floor(best.y / scale), Math.floor(best.x / scale)]).toEqual([5, 10]);
    const [r, g, b] = rgbAt(png, best.x, best.y);
    expect(r).toBeGreaterThan(g + 80);
    expect(r).toBeGreaterThan(b + 80);
    // Negative attributions are blue.
    const [cr, , cb] = rgbAt(png, 1 * scale, 14 * scale);
    expect(cb).toBeGreaterThan(cr + 50);
    // Zero attribution shows the gray image: column 15 of the underlay is white, column 0 black.
    expect(rgbAt(png, 15 * scale, 0)).toEqual([255, 255, 255]);
    expect(rgbAt(png, 0, 0)).toEqual([0, 0, 0]);
  });

  it('keeps an image of 256 pixels or more at scale 1, and takes an explicit scale', () => {
    expect(defaultHeatmapScale(300, 20)).toBe(1);
    expect(defaultHeatmapScale(64, 64)).toBe(4);
    const png = PNG.sync.read(renderHeatmapPng(sampleHeatmap(), { scale: 2 }));
    expect([png.width, png.height]).toEqual([32, 32]);
  });

  it('draws a heatmap of zeros as the plain image (mid-gray without one)', () => {
    const png = PNG.sync.read(renderHeatmapPng({ height: 2, width: 2, values: [0, 0, 0, 0] }, { scale: 1 }));
    expect(rgbAt(png, 1, 1)).toEqual([128, 128, 128]);
  });

  it('rejects sizes that do not match and scales out of range', () => {
    expect(() => renderHeatmapPng({ height: 2, width: 2, values: [0, 0, 0] })).toThrow(/needs 4 values/);
    expect(() => renderHeatmapPng(sampleHeatmap(), { underlay: [1, 2] })).toThrow(/underlay/);
    expect(() => renderHeatmapPng(sampleHeatmap(), { scale: 0 })).toThrow(/scale/);
    expect(() => renderHeatmapPng({ height: 0, width: 2, values: [] })).toThrow(/positive integers/);
  });
});

describe('writeExplanationPng', () => {
  it('draws the heatmap over the explained image, channels first, and refuses another size', async () => {
    folder = await mkdtemp(join(tmpdir(), 'explanation-'));
    const path = join(folder, 'heatmap.png');
    // A 3 × 16 × 16 image: white on the left half, black on the right.
    const values = Float64Array.from({ length: 3 * SIZE * SIZE }, (_, i) => (i % SIZE < SIZE / 2 ? 1 : 0));
    const image = { values, shape: [3, SIZE, SIZE], layout: 'channels-first' as const };
    await writeExplanationPng(path, sampleHeatmap(), image, { scale: 1 });
    const png = PNG.sync.read(await readFile(path));
    expect([png.width, png.height]).toEqual([SIZE, SIZE]);
    expect(rgbAt(png, 0, 0)).toEqual([255, 255, 255]);
    expect(rgbAt(png, 15, 0)).toEqual([0, 0, 0]);
    const [r, g, b] = rgbAt(png, 10, 5);
    expect(r).toBeGreaterThan(g + 80);
    expect(r).toBeGreaterThan(b + 80);
    await expect(
      writeExplanationPng(path, { height: 2, width: 2, values: [0, 0, 0, 0] }, image),
    ).rejects.toThrow(/not the image's 16 × 16/);
  });
});
