/**
 * slic.ts against scikit-image's slic on the images of test/fixtures/slic (made by
 * make-slic-fixture.py with Debian's python3-skimage 0.19): the same segmentation, label for
 * label. The images' colours span 0 to 1, so slic.ts's min-max scaling leaves them as skimage
 * sees them; on these images skimage's chained merging never reaches the cap slic.ts adds.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { slic } from '../src/methods/occlusion/slic.js';

interface ReferenceCase {
  height: number;
  width: number;
  segments: number;
  compactness: number;
  pixels: number[];
  labels: number[];
}

const reference = JSON.parse(
  readFileSync(new URL('./fixtures/slic/slic-reference.json', import.meta.url), 'utf8'),
) as { cases: ReferenceCase[] };

describe('slic against scikit-image', () => {
  it('has reference cases', () => {
    expect(reference.cases.length).toBeGreaterThanOrEqual(3);
  });

  for (const [i, reference_] of reference.cases.entries()) {
    const { height, width, segments, compactness } = reference_;
    it(`segments image ${i} as skimage does (${height} × ${width}, ${segments} segments, compactness ${compactness})`, () => {
      const ours = slic(Float64Array.from(reference_.pixels), height, width, 3, { segments, compactness });
      expect(ours.count).toBe(new Set(reference_.labels).size);
      expect(Array.from(ours.labels)).toEqual(reference_.labels);
    });
  }
});
