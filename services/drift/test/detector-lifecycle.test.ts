/**
 * The detector life cycle over real gRPC on loopback: create, fit (a new version each time,
 * with lineage), get, list, score, predict (Alibi's {meta, data}, as the router's detector
 * client calls it), infer threshold, and delete.
 */
import { status } from '@grpc/grpc-js';
import { driftV1 } from '@sightline/contracts';
import { createTensor } from '@sightline/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { irisTensor, startTestDrift, type TestDrift, tensorMessages } from './helpers/drift-test-service.js';

describe('detector life cycle', () => {
  let drift: TestDrift;
  beforeAll(async () => {
    drift = await startTestDrift();
  });
  afterAll(async () => {
    await drift?.stop();
  });

  it('refuses labels past their size bounds, naming labels and the rule', async () => {
    const { client } = drift;
    await expect(
      client.createDetector({ name: 'big-label', config: { ks: {} }, labels: { team: 'x'.repeat(300) } }),
    ).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringContaining('labels: the value of "team" has 300 characters; at most 256'),
    });
    await expect(
      client.createDetector({ name: 'big-label', config: { ks: {} }, labels: { ['k'.repeat(64)]: 'v' } }),
    ).rejects.toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringContaining('labels') });
    await expect(client.getDetector({ name: 'big-label' })).rejects.toMatchObject({ code: status.NOT_FOUND });
  });

  it('creates, fits twice, scores, predicts, lists and deletes a KS detector', async () => {
    const { client } = drift;
    const created = await client.createDetector({
      name: 'iris-ks',
      config: { ks: { pVal: 0.05, correction: driftV1.Correction.CORRECTION_BONFERRONI } },
      labels: { team: 'ml' },
    });
    expect(created.detector?.state).toBe(driftV1.DetectorState.DETECTOR_STATE_CREATED);
    expect(created.detector?.version).toBe(0);

    const fitted = await client.fit({
      name: 'iris-ks',
      data: tensorMessages(irisTensor(200, 1)),
      creator: 'alice',
      referenceSource: 'iris.csv',
    });
    const detector = fitted.detector!;
    expect(detector.state).toBe(driftV1.DetectorState.DETECTOR_STATE_FITTED);
    expect(detector.version).toBe(1);
    expect(detector.featureCount).toBe(4);
    expect(detector.referenceRows).toBe(200n);
    expect(detector.inputs).toEqual([{ name: 'input', datatype: 'FP32', rowShape: [4n] }]);
    expect(detector.lineage).toMatchObject({
      name: 'iris-ks',
      version: 1,
      kind: 'KSDrift',
      creator: 'alice',
      referenceSource: 'iris.csv',
      featureNames: ['input[0]', 'input[1]', 'input[2]', 'input[3]'],
      featureTypes: ['numeric', 'numeric', 'numeric', 'numeric'],
      referenceRows: 200n,
    });
    expect(detector.lineage?.referenceSha256).toMatch(/^[0-9a-f]{64}$/);

    const refit = await client.fit({ name: 'iris-ks', data: tensorMessages(irisTensor(150, 2)) });
    expect(refit.detector?.version).toBe(2);
    expect(refit.detector?.lineage?.creator).toBe('unknown');

    const metrics = await (await fetch(`${drift.httpBase}/metrics`)).text();
    expect(metrics).toMatch(
      /^sightline_drift_detector_info\{label_team="ml",detector="iris-ks",kind="ks",version="2",state="fitted",attached="false"[^}]*\} 1$/m,
    );

    const got = await client.getDetector({ name: 'iris-ks' });
    expect(got.versions.map((v) => v.version)).toEqual([2, 1]);
    expect(got.detector?.labels).toEqual({ team: 'ml' });

    const same = await client.predict({ name: 'iris-ks', data: tensorMessages(irisTensor(100, 3)) });
    expect(same.meta).toMatchObject({
      name: 'iris-ks',
      kind: 'KSDrift',
      detectorType: 'drift',
      online: false,
    });
    expect(same.data?.isDrift).toBe(false);
    expect(same.data?.threshold).toBeCloseTo(0.05 / 4);
    expect(same.data?.features).toHaveLength(4);
    expect(same.data?.correction).toBe(driftV1.Correction.CORRECTION_BONFERRONI);

    const shifted = await client.predict({ name: 'iris-ks', data: tensorMessages(irisTensor(100, 4, 1)) });
    expect(shifted.data?.isDrift).toBe(true);
    for (const feature of shifted.data?.features ?? []) {
      expect(feature.isDrift).toBe(true);
      expect(feature.pVal).toBeLessThan(0.05 / 4);
      expect(feature.distance).toBeGreaterThan(0.5);
      expect(feature.test).toBe('ks');
      expect(feature.effectSizes?.psi).toBeGreaterThan(0);
    }

    const perFeature = await client.predict({
      name: 'iris-ks',
      data: tensorMessages(irisTensor(100, 4, 1)),
      driftType: driftV1.DriftType.DRIFT_TYPE_FEATURE,
      returnPVal: false,
    });
    expect(perFeature.data?.threshold).toBe(0.05);
    expect(perFeature.data?.features.every((f) => f.pVal === 0 && f.isDrift)).toBe(true);

    // What the router's detector nodes send (GrpcDetectorClient): raw tensors, no distances.
    const routerCall = await client.predict({
      name: 'iris-ks',
      data: tensorMessages(irisTensor(2, 5)),
      driftType: 0,
      returnPVal: true,
      returnDistance: false,
    });
    expect(routerCall.data?.features.every((f) => f.distance === 0 && f.pVal > 0)).toBe(true);
    expect(routerCall.data?.isDrift).toBe(false);

    const scored = await client.score({ name: 'iris-ks', data: tensorMessages(irisTensor(100, 4, 1)) });
    expect(scored.features).toHaveLength(4);
    expect(scored.features.every((f) => !f.isDrift && f.pVal < 0.01)).toBe(true);

    const threshold = await client.inferThreshold({ name: 'iris-ks' });
    expect(threshold.threshold).toBeCloseTo(0.0125);

    await client.createDetector({ name: 'a-tabular' });
    const listed = await client.listDetectors({ pageSize: 1 });
    expect(listed.detectors.map((d) => d.name)).toEqual(['a-tabular']);
    const next = await client.listDetectors({ pageSize: 1, pageToken: listed.nextPageToken });
    expect(next.detectors.map((d) => d.name)).toEqual(['iris-ks']);
    expect(next.nextPageToken).toBe('');
    expect(listed.detectors[0]?.config?.tabular).toBeDefined();

    await client.deleteDetector({ name: 'iris-ks' });
    await expect(client.getDetector({ name: 'iris-ks' })).rejects.toMatchObject({ code: status.NOT_FOUND });
    await expect(client.createDetector({ name: 'a-tabular' })).rejects.toMatchObject({
      code: status.ALREADY_EXISTS,
    });
    await client.deleteDetector({ name: 'a-tabular' });
  });

  it('counts a quality failure once: a value beyond the reference range is out of bounds once', async () => {
    const { client } = drift;
    await client.createDetector({ name: 'iris-quality', config: { quality: {} } });
    await client.fit({ name: 'iris-quality', data: tensorMessages(irisTensor(200, 1)) });
    // Every value far above the reference's maximum.
    const answer = await client.score({ name: 'iris-quality', data: tensorMessages(irisTensor(50, 2, 100)) });
    for (const feature of answer.features) {
      expect(feature.quality?.rows).toBe(50n);
      expect(feature.quality?.outOfBounds).toBe(50n);
    }
    await client.deleteDetector({ name: 'iris-quality' });
  });

  it("scores FP32 rows of a reference's decimal values exactly as their FP64 rows (ties kept)", async () => {
    const { client } = drift;
    // One-decimal values, as a CSV of iris holds them: many ties.
    const values = (rows: number, shift: number) =>
      Array.from({ length: rows * 2 }, (_, i) => (40 + ((i * 7 + shift) % 30)) / 10);
    await client.createDetector({ name: 'ties', config: { ks: {} } });
    await client.fit({
      name: 'ties',
      data: tensorMessages(createTensor('x', 'FP64', [100, 2], Float64Array.from(values(100, 0)))),
    });
    const batch = values(40, 3);
    const fp64 = await client.score({
      name: 'ties',
      data: tensorMessages(createTensor('x', 'FP64', [40, 2], Float64Array.from(batch))),
    });
    const fp32 = await client.score({
      name: 'ties',
      data: tensorMessages(createTensor('x', 'FP32', [40, 2], Float32Array.from(batch))),
    });
    expect(fp32.features.map((f) => [f.pVal, f.distance])).toEqual(
      fp64.features.map((f) => [f.pVal, f.distance]),
    );
  });
});
