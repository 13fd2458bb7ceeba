import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { tableFromTensors } from './table-from-tensors.js';
import { tensorFromNpy } from './tensor-from-npy.js';

/** numpy.save of each case, computed in one python run: python starts slowly on a loaded machine. */
const files = JSON.parse(
  execFileSync('python3', [
    '-c',
    `import io, json, base64
import numpy as np
cases = {
  'f8': np.array([[0.1, 2.0], [3.5, -1e300]]),
  'f4_big': np.array([[1.5, 2.25]], dtype='>f4'),
  'i8': np.array([1, -2, 3], dtype=np.int64),
  'u1': np.array([[255, 0, 7]], dtype=np.uint8),
  'fortran': np.asfortranarray(np.ones((2, 2))),
  'strings': np.array(['a', 'b']),
}
out = {}
for k, a in cases.items():
  b = io.BytesIO(); np.save(b, a); out[k] = base64.b64encode(b.getvalue()).decode()
print(json.dumps(out))`,
  ]).toString(),
) as Record<string, string>;
const npy = (k: string) => new Uint8Array(Buffer.from(files[k]!, 'base64'));

describe('tensorFromNpy', () => {
  it('reads numpy.save output of several dtypes and byte orders', () => {
    expect(tensorFromNpy(npy('f8'), 'x')).toEqual({
      name: 'x',
      shape: [2, 2],
      data: Float64Array.from([0.1, 2, 3.5, -1e300]),
    });
    expect([...tensorFromNpy(npy('f4_big')).data]).toEqual([1.5, 2.25]);
    expect(tensorFromNpy(npy('i8')).shape).toEqual([3]);
    expect([...tensorFromNpy(npy('i8')).data]).toEqual([1, -2, 3]);
    expect(tableFromTensors([tensorFromNpy(npy('u1'), 'u')]).names).toEqual(['u[0]', 'u[1]', 'u[2]']);
  });

  it('refuses what it cannot read, saying why', () => {
    expect(() => tensorFromNpy(npy('fortran'))).toThrow(
      'the .npy file is in Fortran order; save np.ascontiguousarray(a)',
    );
    expect(() => tensorFromNpy(npy('strings'))).toThrow(
      'the .npy file has dtype <U1; numeric dtypes are read',
    );
    expect(() => tensorFromNpy(new Uint8Array([1, 2, 3]))).toThrow(
      'the .npy file does not start with \\x93NUMPY',
    );
    expect(() => tensorFromNpy(npy('f8').subarray(0, 140))).toThrow('data bytes');
  });
});
