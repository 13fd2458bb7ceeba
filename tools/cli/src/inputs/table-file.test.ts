import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_PROGRESS } from '../frame/progress.js';
import { readTableFile } from './table-file.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test/fixtures/npy');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'table-file-'));
  await writeFile(path.join(dir, 'batch.csv'), 'x,kind\n1.5,a\n2.5,b\n');
  await writeFile(path.join(dir, 'batch.txt'), 'x\n1\n');
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const read = (file: string) => readTableFile(file, '--data', { progress: NO_PROGRESS });

describe('readTableFile', () => {
  it('reads a CSV as one column per feature, numbers FP64 and text categorical', async () => {
    const table = await read(path.join(dir, 'batch.csv'));
    expect(table.rows).toBe(2);
    expect(table.columns).toEqual([
      { name: 'x', type: 'numeric' },
      { name: 'kind', type: 'categorical' },
    ]);
    expect(table.data).toEqual({ columns: { x: new Float64Array([1.5, 2.5]), kind: ['a', 'b'] } });
  });

  it('reads a 2-D NPY as one tensor named input, its features input[i]', async () => {
    const table = await read(path.join(FIXTURES, 'f4-le-2x3.npy'));
    expect(table.rows).toBe(2);
    expect(table.columns.map((c) => c.name)).toEqual(['input[0]', 'input[1]', 'input[2]']);
    expect(table.data).toMatchObject([{ name: 'input', shape: [2, 3], datatype: 'FP32' }]);
    const column = await read(path.join(FIXTURES, 'f8-be-3.npy'));
    expect(column.columns).toEqual([{ name: 'input', type: 'numeric' }]);
  });

  it('refuses other extensions, other ranks and missing files, naming the flag and file', async () => {
    await expect(read(path.join(dir, 'batch.txt'))).rejects.toThrow(
      /^--data .*batch\.txt: expected a \.csv or \.npy file$/,
    );
    await expect(read(path.join(FIXTURES, 'f4-fortran-2x3x2.npy'))).rejects.toThrow(
      /: expected a 1-D array \(one feature\) or a 2-D array \[rows, features\], got shape \[2, 3, 2\]$/,
    );
    await expect(read(path.join(dir, 'none.csv'))).rejects.toThrow(
      /: cannot read the file \(no such file\)$/,
    );
  });
});
