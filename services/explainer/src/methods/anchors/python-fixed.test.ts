import { seededRandom } from '@sightline/stats';
import { describe, expect, it } from 'vitest';
import { hasPython, runPython } from '../../../test/run-python.js';
import { pythonFixed } from './python-fixed.js';

describe.skipIf(!hasPython)("pythonFixed against Python's '%.2f'", () => {
  it('writes what Python writes, ties to even and signed zeros included', () => {
    const random = seededRandom(3);
    const values = [
      0.125,
      -0.125,
      0.375,
      2.675,
      1.005,
      -0.001,
      -0,
      0,
      0.8,
      1.3,
      99.995,
      0.015,
      5e-324,
      1e20,
      2.5,
      -2.5,
      ...Array.from({ length: 300 }, () => Math.round(random.nextNormal() * 1e5) / 1e3),
      ...Array.from({ length: 300 }, () => Math.round(random.nextNormal() * 1e4) / 8e2),
      ...Array.from({ length: 100 }, () => random.nextNormal() * 10 ** random.nextInt(12)),
    ];
    const expected = runPython<string[]>(
      'print(json.dumps(["%.2f" % float(v) for v in data]))',
      values.map((v) => (Object.is(v, -0) ? '-0' : v)),
    );
    // JSON has no −0, hence the string "-0" (float("-0") is −0.0 in Python).
    expect(values.map((v) => pythonFixed(v))).toEqual(expected);
  });
});
