import { InvalidArgumentError } from '@sightline/errors';
import type { Tensor } from '@sightline/tensor';
import { describe, expect, it } from 'vitest';
import { classificationCount, classify } from './classification.js';

const text = (tensor: Tensor) => (tensor.data as Uint8Array[]).map((b) => new TextDecoder().decode(b));

describe("Triton's classification extension", () => {
  it('answers the top k of each row as "<value>:<index>:<label>", shape [batch, k]', () => {
    const probabilities: Tensor = {
      name: 'p',
      datatype: 'FP32',
      shape: [2, 3],
      data: new Float32Array([0.1, 0.7, 0.2, 0.5, 0.25, 0.25]),
    };
    const out = classify(probabilities, 2, true, ['setosa', 'versicolor', 'virginica']);
    expect(out).toMatchObject({ name: 'p', datatype: 'BYTES', shape: [2, 2] });
    // Six decimals, as Triton's std::to_string; the tie keeps the lower index first.
    expect(text(out)).toEqual([
      '0.700000:1:versicolor',
      '0.200000:2:virginica',
      '0.500000:0:setosa',
      '0.250000:1:versicolor',
    ]);
  });

  it('without labels answers "<value>:<index>", cuts k to the classes, and treats an unbatched tensor as one row', () => {
    const scores: Tensor = {
      name: 's',
      datatype: 'INT64',
      shape: [4],
      data: new BigInt64Array([1n, 5n, 10n, 4n]),
    };
    const out = classify(scores, 9, false, undefined);
    expect(out.shape).toEqual([4]);
    expect(text(out)).toEqual(['10:2', '5:1', '4:3', '1:0']);
  });

  it('refuses an output without an order, naming it', () => {
    const bytes: Tensor = { name: 'b', datatype: 'BYTES', shape: [1], data: [new Uint8Array([1])] };
    expect(() => classify(bytes, 1, false, undefined)).toThrow(
      new InvalidArgumentError(
        'output "b": parameter "classification" needs a numeric output (not FP16, BF16, BOOL or BYTES), got BYTES',
      ),
    );
  });

  it('reads the count from an int64 parameter and refuses anything but a positive integer', () => {
    expect(classificationCount('p', undefined)).toBeUndefined();
    expect(classificationCount('p', 3n)).toBe(3);
    expect(classificationCount('p', 2)).toBe(2);
    for (const bad of [0n, -1n, 'two', true, 1.5]) {
      expect(() => classificationCount('p', bad)).toThrow(
        /^output "p": parameter "classification" must be an integer from 1 to/,
      );
    }
  });
});
