import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDetectorFiles } from './detector-file.js';

const EXAMPLES = new URL('../../../../examples/detectors', import.meta.url).pathname;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'detector-files-'));
  await writeFile(path.join(dir, 'data.csv'), 'a,b,label\n1,2,x\n3,4,y\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const write = async (name: string, text: string) => {
  await writeFile(path.join(dir, name), text);
  return path.join(dir, name);
};

describe('detector files', () => {
  it('reads the examples: the graph outlier detector as one tensor, the drift one attached', async () => {
    const { files, problems } = await readDetectorFiles(EXAMPLES);
    expect(problems).toEqual([]);
    const od = files.find((file) => file.name === 'iris-od');
    expect(od).toMatchObject({ service: 'outlier', tensor: 'input', settings: { kind: 'iforest', seed: 7 } });
    expect(od?.reference.rows).toBe(150);
    expect(Object.keys(od?.reference.columns ?? {})).toEqual([
      'sepal_length',
      'sepal_width',
      'petal_length',
      'petal_width',
    ]);
    expect(files.find((file) => file.name === 'iris-features')).toMatchObject({
      service: 'drift',
      attach: { modelName: 'iris', tensors: ['input'], maxRows: 100 },
    });
  });

  it('reports a file that breaks a rule by its path and key, and reads the others', async () => {
    const dirOnly = await mkdtemp(path.join(tmpdir(), 'detector-files-'));
    try {
      await writeFile(path.join(dirOnly, 'data.csv'), 'a,b\n1,2\n');
      const ok = `schemaVersion: 1\nservice: outlier\nname: ok\nsettings: { kind: iforest }\nreference: { file: data.csv, columns: [a, b] }\n`;
      await writeFile(path.join(dirOnly, 'a-ok.yaml'), ok);
      await writeFile(
        path.join(dirOnly, 'b-version.yaml'),
        ok.replace('schemaVersion: 1', 'schemaVersion: 2'),
      );
      await writeFile(path.join(dirOnly, 'c-column.yaml'), ok.replace('[a, b]', '[a, z]'));
      await writeFile(path.join(dirOnly, 'd-extra.yaml'), `${ok}colour: red\n`);
      await writeFile(path.join(dirOnly, 'e-file.yaml'), ok.replace('data.csv', 'none.csv'));
      await writeFile(path.join(dirOnly, 'notes.txt'), 'not a detector');
      const { files, problems } = await readDetectorFiles(dirOnly);
      expect(files.map((file) => file.name)).toEqual(['ok']);
      expect(problems.map((p) => [path.basename(p.path), p.message])).toEqual([
        ['b-version.yaml', expect.stringMatching(/^schemaVersion: /)],
        ['c-column.yaml', expect.stringMatching(/^reference\.columns: "z" is not a column of /)],
        ['d-extra.yaml', expect.stringMatching(/colour/)],
        ['e-file.yaml', expect.stringMatching(/^reference\.file: cannot read .*none\.csv/)],
      ]);
    } finally {
      await rm(dirOnly, { recursive: true, force: true });
    }
  });

  it('refuses a text reference column and answers nothing for a missing directory', async () => {
    await write(
      'text.yaml',
      'schemaVersion: 1\nservice: drift\nname: t\nsettings: { kind: tabular }\nreference: { file: data.csv, columns: [label] }\n',
    );
    const { problems } = await readDetectorFiles(dir);
    expect(problems[0]?.message).toMatch(/^reference\.columns: "label" of .* must be numeric$/);
    expect(await readDetectorFiles(path.join(dir, 'absent'))).toEqual({ files: [], problems: [] });
  });
});
