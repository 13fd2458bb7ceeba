import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sampleEvent } from '@sightline/events/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FittedDetectors, nonFinitePolicyOf } from './fitted-detectors.js';
import { DriftKinds } from './kinds/drift-kinds.js';
import type { DriftResult } from './kinds/drift-result.js';
import { tableFromStoredEvents, trailingReferenceRange } from './live/stored-reference.js';
import { DetectorStore } from './store/detector-store.js';
import { tableFromTensors } from './table/table-from-tensors.js';
import { ArrayEventReader } from './testing/array-event-reader.js';
import { referenceKernels } from './testing/reference-kernels.js';

const kinds = new DriftKinds(referenceKernels);
const reference = tableFromTensors(
  [{ name: 'x', shape: [20, 2], data: Array.from({ length: 40 }, (_, i) => (i * 7) % 13) }],
  { columnNames: ['a', 'b'] },
);

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fitted-detectors-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function detectors(): FittedDetectors<DriftResult> {
  return new FittedDetectors(new DetectorStore({ dataDir: dir, sightlineVersion: '0.1.0' }), kinds);
}

describe('FittedDetectors', () => {
  it('saves the seed an mmd fit drew in the lineage, and keeps it across a restart', async () => {
    const first = new FittedDetectors(
      new DetectorStore({ dataDir: dir, sightlineVersion: '0.1.0' }),
      new DriftKinds(referenceKernels, { drawSeed: () => 4242 }),
    );
    await first.load();
    const saved = await first.fit('m1', { kind: 'mmd', reference, params: { permutations: 20 } });
    expect(saved.lineage.params.seed).toBe(4242);
    expect(saved.state.params.seed).toBe(4242);
    const store = new DetectorStore({ dataDir: dir, sightlineVersion: '0.1.0' });
    await store.load();
    const loaded = await store.get('m1', 1);
    expect(loaded.lineage.params.seed).toBe(4242);
    expect(loaded.state.params.seed).toBe(4242);
  });

  it('fits, scores by name or position, survives a restart, deletes', async () => {
    const first = detectors();
    await first.load();
    const saved = await first.fit('d1', { kind: 'ks', reference, creator: 'bob' });
    expect(saved.version).toBe(1);
    expect(first.get('d1')?.version).toBe(1);
    const unnamed = [{ name: 'input', shape: [3, 2], data: [1, 2, 3, 4, 5, 6] }];
    const scored = await first.scoreTensors('d1', unnamed);
    expect(scored.result.features.map((f) => f.name)).toEqual(['a', 'b']);
    const restarted = detectors();
    await restarted.load();
    expect(restarted.get('d1')?.version).toBe(1);
    await restarted.fit('d1', { kind: 'cvm', reference });
    expect((await restarted.scoreTensors('d1', unnamed, { version: 1 })).result.kind).toBe('ks');
    expect((await restarted.scoreTensors('d1', unnamed)).result.kind).toBe('cvm');
    await restarted.delete('d1');
    expect(restarted.get('d1')).toBeUndefined();
    await expect(restarted.scoreTensors('d1', unnamed)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(nonFinitePolicyOf('quality')).toBe('keep');
  });

  it('refuses bad input to a score naming column and row', async () => {
    const d = detectors();
    await d.load();
    await d.fit('d1', { kind: 'ks', reference });
    await expect(
      d.scoreTensors('d1', [{ name: 'x', shape: [2, 2], data: [1, 2, Number.NaN, 4] }], {
        columnNames: ['a', 'b'],
      }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: 'column "a", row 1: NaN is not allowed' });
  });
});

describe('stored references', () => {
  it('reads a range of stored events of a model as one table', async () => {
    const events = Array.from({ length: 12 }, (_, i) => sampleEvent(i, { modelVersion: i % 2 ? '2' : '1' }));
    const read = await tableFromStoredEvents({
      reader: new ArrayEventReader(events),
      fromUnixMs: events[0]!.timeUnixMs,
      toUnixMs: events[0]!.timeUnixMs + 100,
      pageSize: 5,
      attachment: { modelName: 'iris', modelVersion: '2', side: 'request', tensor: 'input' },
    });
    expect(read.table?.rows).toBe(6);
    await expect(
      tableFromStoredEvents({
        reader: new ArrayEventReader(events),
        fromUnixMs: 0,
        toUnixMs: Number.MAX_SAFE_INTEGER,
        attachment: { modelName: 'iris', side: 'request' },
        maxRows: 3,
      }),
    ).rejects.toMatchObject({ code: 'RESOURCE_EXHAUSTED' });
  });

  it('a trailing reference is the duration ending offset before now', () => {
    const week = 7 * 24 * 3600_000;
    expect(trailingReferenceRange({ offsetMs: week, durationMs: 3600_000 }, week + 7200_000)).toEqual({
      fromUnixMs: 3600_000,
      toUnixMs: 7200_000,
    });
  });
});
