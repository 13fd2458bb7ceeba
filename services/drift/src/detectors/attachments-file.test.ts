import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readAttachmentsFile } from './attachments-file.js';

describe('attachments file', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'drift-attachments-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads YAML entries with defaults', async () => {
    const file = path.join(dir, 'attachments.yaml');
    await writeFile(
      file,
      [
        'attachments:',
        '  - detector: iris-ks',
        '    model: iris',
        '    tensors: [input]',
        '    columns: [a, b, c, d]',
        '    window: { maxRows: 500, maxDurationMs: 60000 }',
        '',
      ].join('\n'),
    );
    expect(await readAttachmentsFile(file)).toEqual([
      {
        detector: 'iris-ks',
        selection: {
          modelName: 'iris',
          modelVersion: '',
          side: 'request',
          tensors: ['input'],
          columnNames: ['a', 'b', 'c', 'd'],
          graph: '',
        },
        window: { maxRows: 500, maxDurationMs: 60000 },
      },
    ]);
  });

  it('names the file, the entry and the rule of a bad one', async () => {
    const file = path.join(dir, 'bad.json');
    await writeFile(file, JSON.stringify({ attachments: [{ detector: 'd', model: 'iris', side: 'both' }] }));
    await expect(readAttachmentsFile(file)).rejects.toThrow(
      /--attachments .*bad\.json: attachments\.0\.side: /,
    );
    await expect(readAttachmentsFile(path.join(dir, 'missing.yaml'))).rejects.toThrow(
      /--attachments .*missing\.yaml: ENOENT/,
    );
  });
});
