import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateShapeSet, SHAPE_CLASSES } from './shapes-generator.js';
import { encodeGrayPng } from './shapes-png.js';

/** The committed sample images: a few per class, from their own seed (neither the training nor the held-out set). */
export const SHAPE_SAMPLES = Object.freeze({ perClass: 4, seed: 100 });

/**
 * Writes `<class>-<n>.png` (n from 1) for each class into `dir`: 8-bit grayscale PNGs of the
 * shapes example, ready for `sightline explain --image`. Returns the file names.
 */
export async function writeShapeSamples(dir: string): Promise<string[]> {
  const set = generateShapeSet(SHAPE_SAMPLES.perClass * SHAPE_CLASSES.length, SHAPE_SAMPLES.seed);
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (const [i, image] of set.images.entries()) {
    const name = `${SHAPE_CLASSES[image.label]}-${Math.floor(i / SHAPE_CLASSES.length) + 1}.png`;
    await writeFile(join(dir, name), encodeGrayPng(image.pixels, set.size, set.size));
    files.push(name);
  }
  return files;
}
