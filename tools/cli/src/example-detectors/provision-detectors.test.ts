import { NotFoundError, UnavailableError } from '@sightline/sdk';
import { describe, expect, it } from 'vitest';
import type { DetectorFile } from './detector-file.js';
import { type DetectorClients, provisionDetectors } from './provision-detectors.js';

const reference = { columns: { a: [1, 3], b: [2, 4] }, rows: 2 };
const outlierFile: DetectorFile = {
  service: 'outlier',
  path: 'od.yaml',
  name: 'od',
  settings: { kind: 'iforest', seed: 7 },
  reference,
  tensor: 'input',
};
const driftFile: DetectorFile = {
  service: 'drift',
  path: 'drift.yaml',
  name: 'features',
  settings: { kind: 'tabular' },
  reference,
  attach: { modelName: 'iris', tensors: ['input'], maxRows: 100 },
};

/** In-memory services recording every call; `existing` names detectors they already have. */
function fakeClients(existing: readonly string[] = [], failFit = false) {
  const calls: unknown[][] = [];
  const get = async (name: string) => {
    if (!existing.includes(name)) throw new NotFoundError(`detector "${name}" not found`);
    return {};
  };
  const clients = {
    outlier: {
      get,
      createDetector: async (...args: unknown[]) => calls.push(['outlier.create', ...args]),
      fit: async (...args: unknown[]) => {
        calls.push(['outlier.fit', ...args]);
        if (failFit) throw new UnavailableError('outlier service down');
        return { threshold: 0.61 };
      },
    },
    drift: {
      get,
      createDetector: async (...args: unknown[]) => calls.push(['drift.create', ...args]),
      fit: async (...args: unknown[]) => calls.push(['drift.fit', ...args]),
      attach: async (...args: unknown[]) => calls.push(['drift.attach', ...args]),
    },
  } as unknown as DetectorClients;
  return { clients, calls };
}

describe('provisionDetectors', () => {
  it('creates, fits (as one tensor where the file says) and attaches what the services lack', async () => {
    const { clients, calls } = fakeClients();
    const outcomes = await provisionDetectors([outlierFile, driftFile], clients);
    expect(outcomes.map((o) => [o.name, o.action, o.detail])).toEqual([
      ['od', 'created', 'fitted on 2 rows, threshold 0.6100'],
      ['features', 'created', 'fitted on 2 rows, watching model iris'],
    ]);
    expect(calls).toEqual([
      ['outlier.create', 'od', { settings: { kind: 'iforest', seed: 7 } }],
      [
        'outlier.fit',
        'od',
        {
          input: [
            [1, 2],
            [3, 4],
          ],
        },
        { referenceSource: 'od.yaml' },
      ],
      ['drift.create', 'features', { settings: { kind: 'tabular' } }],
      ['drift.fit', 'features', { columns: reference.columns }, { referenceSource: 'drift.yaml' }],
      [
        'drift.attach',
        'features',
        {
          selector: { modelName: 'iris', tensors: ['input'], columnNames: ['a', 'b'] },
          window: { maxRows: 100 },
        },
      ],
    ]);
  });

  it('keeps a detector the service already has, and reports a failure without stopping the others', async () => {
    const kept = fakeClients(['od', 'features']);
    expect((await provisionDetectors([outlierFile, driftFile], kept.clients)).map((o) => o.action)).toEqual([
      'kept',
      'kept',
    ]);
    expect(kept.calls).toEqual([]);
    const failing = fakeClients([], true);
    const outcomes = await provisionDetectors([outlierFile, driftFile], failing.clients);
    expect(outcomes.map((o) => [o.action, o.detail])).toEqual([
      ['failed', 'outlier service down'],
      ['created', 'fitted on 2 rows, watching model iris'],
    ]);
  });
});
