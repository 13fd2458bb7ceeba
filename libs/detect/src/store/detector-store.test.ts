import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DriftKinds } from '../kinds/drift-kinds.js';
import { tableFromTensors } from '../table/table-from-tensors.js';
import { referenceKernels } from '../testing/reference-kernels.js';
import { DetectorStore } from './detector-store.js';
import { referenceDigest } from './saved-format.js';

const kinds = new DriftKinds(referenceKernels);
const reference = tableFromTensors(
  [
    { name: 'x', shape: [6, 2], data: [1, 10, 2, 20, 3, 30, 4, 40, 5, 50, 6, 60] },
    { name: 'c', shape: [6], data: ['a', 'b', 'a', 'b', 'a', 'c'] },
  ],
  { columnNames: ['x1', 'x2', 'colour'], categorical: ['colour'] },
);
const state = kinds.get('tabular').fit(reference, { correction: 'fdr' });
const request = {
  state,
  referenceSha256: referenceDigest(reference),
  creator: 'alice',
  referenceSource: 'file ref.csv',
};

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'detector-store-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function store(): DetectorStore {
  return new DetectorStore({ dataDir: dir, sightlineVersion: '0.1.0', now: () => Date.UTC(2026, 11, 3, 21) });
}

describe('DetectorStore', () => {
  it('keeps versions with lineage across a restart, typed arrays bit for bit', async () => {
    const first = store();
    await first.load();
    await first.save('iris-drift', request);
    const second = await first.save('iris-drift', request);
    expect(second.lineage).toMatchObject({
      detector: 'iris-drift',
      version: 2,
      previousVersion: 1,
      kind: 'tabular',
      params: { correction: 'fdr' },
      reference: { sha256: referenceDigest(reference), rows: 6, source: 'file ref.csv' },
      features: [
        { name: 'x1', kind: 'numeric' },
        { name: 'x2', kind: 'numeric' },
        { name: 'colour', kind: 'categorical' },
      ],
      createTime: '2026-12-03T21:00:00.000Z',
      sightlineVersion: '0.1.0',
      creator: 'alice',
    });
    const restarted = store();
    expect(await restarted.load()).toEqual({ detectors: 1, failures: [] });
    expect(restarted.list()).toEqual([
      { name: 'iris-drift', versions: [1, 2], latest: 2, kind: 'tabular', failures: [] },
    ]);
    const loaded = await restarted.get('iris-drift');
    expect(loaded.version).toBe(2);
    expect(loaded.state).toEqual(state);
    const scored = kinds.get('tabular').score(loaded.state, reference);
    expect(scored.overall.drift).toBe(false);
    expect((await restarted.get('iris-drift', 1)).version).toBe(1);
  });

  it('refuses a corrupt version alone and reports it; the rest loads', async () => {
    const s = store();
    await s.load();
    await s.save('a', request);
    await s.save('a', request);
    await s.save('b', request);
    await writeFile(join(dir, 'a', 'v2', 'reference.bin'), new Uint8Array([1, 2, 3]));
    const restarted = store();
    const loaded = await restarted.load();
    expect(loaded.detectors).toBe(2);
    expect(loaded.failures).toEqual([
      {
        detector: 'a',
        version: 2,
        path: join(dir, 'a', 'v2'),
        reason: expect.stringContaining('reference.bin has 3 bytes'),
      },
    ]);
    expect((await restarted.get('a')).version).toBe(1);
    expect((await restarted.get('b')).version).toBe(1);
    await expect(restarted.get('a', 2)).rejects.toMatchObject({
      code: 'FAILED_PRECONDITION',
      message: expect.stringContaining('detector "a" version 2 is unreadable'),
    });
    await restarted.delete('a', 2);
    expect(restarted.failures()).toEqual([]);
  });

  it('refuses a version written by a newer schema', async () => {
    const s = store();
    await s.load();
    await s.save('a', request);
    const file = join(dir, 'a', 'v1', 'detector.json');
    const doc = JSON.parse(await readFile(file, 'utf8')) as { schemaVersion: number };
    doc.schemaVersion = 2;
    await writeFile(file, JSON.stringify(doc));
    const restarted = store();
    const { failures } = await restarted.load();
    expect(failures[0]?.reason).toBe(
      'the saved detector is unreadable: schemaVersion 2 was written by a newer Sightline; this one reads up to 1',
    );
    await expect(restarted.get('a')).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
  });

  it('gives concurrent saves distinct versions, in one process and across two stores', async () => {
    const a = store();
    const b = store();
    await a.load();
    await b.load();
    const saved = await Promise.all([
      ...Array.from({ length: 4 }, () => a.save('shared', request)),
      ...Array.from({ length: 4 }, () => b.save('shared', request)),
    ]);
    expect(saved.map((s) => s.version).sort()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const restarted = store();
    await restarted.load();
    expect(restarted.summary('shared')?.versions).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect((await readdir(join(dir, 'shared'))).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('deletes versions and detectors; unknown ones are NOT_FOUND; names are checked', async () => {
    const s = store();
    await s.load();
    await s.save('a', request);
    await s.save('a', request);
    await s.delete('a', 1);
    expect(s.summary('a')?.versions).toEqual([2]);
    await s.delete('a');
    expect(s.list()).toEqual([]);
    await expect(s.get('a')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: 'detector "a" does not exist',
    });
    await expect(s.delete('a', 7)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(s.save('Bad_Name', request)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: `detector name "Bad_Name" must be 1 to 63 of a-z, 0-9 and '-', starting and ending with a letter or digit (rule "name.format")`,
    });
    for (const name of ['-lead', 'trail-', '-']) {
      await expect(s.save(name, request)).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: expect.stringContaining('rule "name.format"'),
      });
    }
    await expect(s.save('a-1', request)).resolves.toMatchObject({ version: 1 });
  });

  it("keeps a state's files beside detector.json, listed with their size and sha256, and reads them back", async () => {
    const model = new TextEncoder().encode('{"format":"layers-model"}\n');
    const weights = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) % 256);
    const withFiles = {
      ...request,
      state: { ...state, files: { 'model.json': model, 'weights.bin': weights } },
    };
    const s = store();
    await s.load();
    await s.save('ae', withFiles);
    const versionDir = join(dir, 'ae', 'v1');
    expect((await readdir(versionDir)).sort()).toEqual([
      'detector.json',
      'model.json',
      'reference.bin',
      'weights.bin',
    ]);
    expect(new Uint8Array(await readFile(join(versionDir, 'weights.bin')))).toEqual(weights);
    const doc = JSON.parse(await readFile(join(versionDir, 'detector.json'), 'utf8')) as { files: unknown };
    expect(doc.files).toEqual({
      'model.json': { bytes: model.length, sha256: createHash('sha256').update(model).digest('hex') },
      'weights.bin': { bytes: 1000, sha256: createHash('sha256').update(weights).digest('hex') },
    });
    const restarted = store();
    expect(await restarted.load()).toEqual({ detectors: 1, failures: [] });
    const loaded = await restarted.get('ae');
    expect(loaded.state.files).toEqual({ 'model.json': model, 'weights.bin': weights });
    expect(loaded.state).toEqual(withFiles.state);
    // A state without files saves none and lists none.
    await s.save('plain', request);
    expect((await readdir(join(dir, 'plain', 'v1'))).sort()).toEqual(['detector.json', 'reference.bin']);
    expect((await restarted.load()).failures).toEqual([]);
    expect((await restarted.get('plain')).state.files).toBeUndefined();
  });

  it('refuses a version whose file is corrupt or missing alone, with the reason; the rest loads', async () => {
    const files = { 'model.json': new Uint8Array([1, 2]), 'weights.bin': new Uint8Array(64) };
    const withFiles = { ...request, state: { ...state, files } };
    const s = store();
    await s.load();
    await s.save('ae', withFiles);
    await s.save('ae', withFiles);
    await s.save('gone', withFiles);
    await s.save('other', withFiles);
    const corrupt = new Uint8Array(64);
    corrupt[10] = 1;
    await writeFile(join(dir, 'ae', 'v2', 'weights.bin'), corrupt);
    await rm(join(dir, 'gone', 'v1', 'model.json'));
    const restarted = store();
    const loaded = await restarted.load();
    expect(loaded.detectors).toBe(3);
    expect(loaded.failures).toEqual([
      {
        detector: 'ae',
        version: 2,
        path: join(dir, 'ae', 'v2'),
        reason: 'the saved detector is unreadable: weights.bin does not match its checksum',
      },
      {
        detector: 'gone',
        version: 1,
        path: join(dir, 'gone', 'v1'),
        reason: `file model.json of ${join(dir, 'gone', 'v1')} is missing`,
      },
    ]);
    expect((await restarted.get('ae')).version).toBe(1);
    expect((await restarted.get('other')).state.files).toEqual(files);
    await expect(restarted.get('ae', 2)).rejects.toMatchObject({
      code: 'FAILED_PRECONDITION',
      message: expect.stringContaining('weights.bin does not match its checksum'),
    });
  });

  it("refuses state file names that could leave the version's directory or replace its own files", async () => {
    const s = store();
    await s.load();
    for (const name of [
      '../escape',
      '.hidden',
      '..',
      'Model.json',
      'a/b',
      'detector.json',
      'reference.bin',
      '',
    ]) {
      const bad = { ...request, state: { ...state, files: { [name]: new Uint8Array(1) } } };
      await expect(s.save('named', bad)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
    expect(s.summary('named')).toBeUndefined();
    // A detector.json edited to list a path outside the directory is refused at load, not read.
    await s.save('edited', request);
    const file = join(dir, 'edited', 'v1', 'detector.json');
    const doc = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    doc.files = { '../../secret': { bytes: 1, sha256: '00' } };
    await writeFile(file, JSON.stringify(doc));
    const { failures } = await store().load();
    expect(failures.map((f) => f.reason)).toEqual([
      expect.stringMatching(
        /^the saved detector is unreadable: detector\.json lists a file name "\.\.\/\.\.\/secret" must be/,
      ),
    ]);
  });

  it('removes temporary directories of interrupted saves at load', async () => {
    await mkdir(join(dir, 'a', '.v1.123.abcdef.tmp'), { recursive: true });
    const s = store();
    await s.load();
    expect(await readdir(join(dir, 'a'))).toEqual([]);
  });
});
