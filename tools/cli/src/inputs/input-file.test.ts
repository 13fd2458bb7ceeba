import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { NO_PROGRESS } from '../frame/progress.js';
import { inputFormatOf, readInputFile } from './input-file.js';

describe('readInputFile', () => {
  it('picks the format by --input-format, else the extension', () => {
    expect(inputFormatOf('a.CSV')).toBe('csv');
    expect(inputFormatOf('a.bin', 'npy')).toBe('npy');
    expect(() => inputFormatOf('a.bin')).toThrow(
      '--input-file a.bin: cannot tell the format from the extension',
    );
    expect(() => inputFormatOf('a.csv', 'xml')).toThrow(
      '--input-format: expected one of json, csv, npy, got "xml"',
    );
    expect(() => inputFormatOf('-')).toThrow(
      '--input-file -: standard input has no extension; pass --input-format',
    );
  });

  it('reads standard input for -, within the size limit', async () => {
    const stdin = () => Readable.from([Buffer.from('1,2\n'), Buffer.from('3,4\n')]);
    const [input] = await readInputFile('-', { format: 'csv', progress: NO_PROGRESS, stdin: stdin() });
    expect(input).toMatchObject({ shape: [2, 2], data: { values: new Float32Array([1, 2, 3, 4]) } });
    await expect(
      readInputFile('-', { format: 'csv', progress: NO_PROGRESS, stdin: stdin(), maxBytes: 5 }),
    ).rejects.toThrow('--input-file -: standard input is over the 5-byte limit (--max-input-bytes)');
  });

  it('names a file over the limit, a directory, and one it cannot read', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cli-input-'));
    const file = path.join(dir, 'x.json');
    writeFileSync(file, '[[1,2,3]]');
    expect(await readInputFile(file, { progress: NO_PROGRESS })).toHaveLength(1);
    await expect(readInputFile(file, { progress: NO_PROGRESS, maxBytes: 4 })).rejects.toThrow(
      `--input-file ${file}: 9 bytes is over the 4-byte limit`,
    );
    await expect(readInputFile(dir, { progress: NO_PROGRESS, format: 'json' })).rejects.toThrow(
      `--input-file ${dir}: not a file`,
    );
    await expect(readInputFile(path.join(dir, 'no.csv'), { progress: NO_PROGRESS })).rejects.toThrow(
      'cannot read the file (no such file)',
    );
  });
});
