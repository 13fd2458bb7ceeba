import { Sightline } from '@sightline/sdk';
import { type FakeOutlierService, startFakeOutlierService } from '@sightline/sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Progress } from '../frame/progress.js';
import { fitStreaming } from './outlier.js';

let fake: FakeOutlierService;
let sightline: Sightline;

beforeAll(async () => {
  fake = await startFakeOutlierService();
  sightline = new Sightline({ addresses: { outlier: fake.address } });
});

afterAll(async () => {
  sightline?.close();
  await fake?.stop();
});

/** A Progress that records what a command drew. */
function recordingProgress() {
  const drawn: string[] = [];
  const progress: Progress = {
    shown: true,
    bar(label, total) {
      drawn.push(`bar ${label} of ${total}`);
      return {
        update: (done) => drawn.push(`update ${done}`),
        increment: () => drawn.push('increment'),
        setTotal: (t) => drawn.push(`total ${t}`),
        stop: () => drawn.push('stop'),
      };
    },
    during(label, work) {
      drawn.push(`during ${label}`);
      return work;
    },
  };
  return { drawn, progress };
}

const REFERENCE = { columns: { x: [1, 2, 3, 4, 5], y: [2, 1, 4, 3, 5] } };

describe('fitStreaming', () => {
  it("draws an autoencoder's epochs as a bar and answers the fitted detector", async () => {
    await sightline.outlier.createDetector('ae', { settings: { kind: 'autoencoder', epochs: 3 } });
    const { drawn, progress } = recordingProgress();
    const detector = await fitStreaming(progress, sightline.outlier, 'ae', 'autoencoder', REFERENCE, {});
    expect(detector).toMatchObject({ name: 'ae', version: 1 });
    expect(drawn).toEqual(['bar training "ae", epochs of 3', 'update 1', 'update 2', 'update 3', 'stop']);
  });

  it('shows the other kinds as one long call', async () => {
    await sightline.outlier.createDetector('forest', { settings: { kind: 'iforest' } });
    const { drawn, progress } = recordingProgress();
    const detector = await fitStreaming(progress, sightline.outlier, 'forest', 'iforest', REFERENCE, {});
    expect(detector.state).toBe('fitted');
    expect(drawn).toEqual(['during fitting "forest"']);
  });

  it("stops the bar and passes the service's refusal on", async () => {
    const { drawn, progress } = recordingProgress();
    await expect(
      fitStreaming(progress, sightline.outlier, 'ae', 'autoencoder', { columns: { x: [1] } }, {}),
    ).rejects.toThrow(/at least 2/);
    expect(drawn).toEqual([]);
  });
});
