/**
 * `sightline outlier ...` as a user runs it, against an OutlierService on 127.0.0.1, its
 * tables and --json checked, and its exit codes (0 done, 1 the service's error, 2 a usage
 * error, one sentence and no stack trace). The CLI runs in the test's process; one usage
 * mistake and one refusal go through the built CLI as a subprocess, as a shell sees them. The service
 * here is the SDK's in-memory double (`@sightline/sdk/testing`): these tests are about the
 * commands; outlier-service.test.ts runs them against the real service.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { outlierV1 } from '@sightline/contracts';
import { type FakeOutlierService, startFakeOutlierService } from '@sightline/sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOk, expectOneSentence } from './helpers/cli-expect.js';
import { runCli, spawnCli } from './helpers/run-cli.js';

let fake: FakeOutlierService;
let dir: string;

/** A CSV of `rows` rows of x and y near 0, labelled 0, then the `planted` rows far out, labelled 1. */
function csv(rows: number, planted: readonly (readonly [number, number])[] = []): string {
  const lines = ['x,y,label'];
  for (let i = 0; i < rows; i++) lines.push(`${((i * 7) % 20) / 10},${((i * 13) % 17) / 10},0`);
  for (const [x, y] of planted) lines.push(`${x},${y},1`);
  return `${lines.join('\n')}\n`;
}

beforeAll(async () => {
  fake = await startFakeOutlierService();
  dir = await mkdtemp(path.join(tmpdir(), 'cli-outlier-'));
  await writeFile(path.join(dir, 'ref.csv'), csv(200));
  await writeFile(path.join(dir, 'batch.csv'), 'x,y,label\n1,0.8,0\n0.9,0.9,0\n1.1,0.7,0\n40,-30,1\n');
  await writeFile(path.join(dir, 'text.csv'), 'x,species\n1,setosa\n2,virginica\n');
  await writeFile(path.join(dir, 'bad.csv'), 'x,y\n1,2\n3\n');
});

afterAll(async () => {
  await fake?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const outlier = (args: string[]) =>
  runCli(['outlier', ...args], { SIGHTLINE_OUTLIER_ADDRESS: fake.address, USER: 'tester' });
/** The same as {@link outlier}, through the built CLI as a subprocess. */
const spawnOutlier = (args: string[]) =>
  spawnCli(['outlier', ...args], { SIGHTLINE_OUTLIER_ADDRESS: fake.address, USER: 'tester' });
const file = (name: string) => path.join(dir, name);

describe('sightline outlier fit', () => {
  it('creates an iforest with the flags and the default 95th percentile, leaves the label out, and sends lineage', async () => {
    const run = await outlier([
      'fit',
      'forest',
      '--kind',
      'iforest',
      '--reference',
      file('ref.csv'),
      '--trees',
      '50',
      '--max-samples',
      '64',
      '--seed',
      '3',
    ]);
    expectOk(run);
    expect(run.stdout).toMatch(
      /^created and fitted detector "forest" \(iforest\): version 1, 200 reference rows, 2 features$/m,
    );
    expect(run.stdout).toMatch(
      /^threshold +[\d.]+ \(the 95th percentile of the reference's scores, set by the fit\)$/m,
    );
    expect(run.stdout).toMatch(/^features +x, y$/m);
    const create = fake.requests.get('createDetector')!.at(-1) as outlierV1.CreateDetectorRequest;
    expect(create.config).toMatchObject({
      iforest: { nEstimators: 50, maxSamples: 64, seed: 3n },
      thresholdPercentile: 95,
    });
    const fit = fake.requests.get('fitWithProgress')!.at(-1) as outlierV1.FitWithProgressRequest;
    expect(fit.fit?.data.map((t) => t.name)).toEqual(['x', 'y']);
    expect(fit.fit?.referenceSource).toBe(file('ref.csv'));
    expect(fit.fit?.creator).not.toBe('');
  });

  it('trains an autoencoder through the progress stream and prints its training, as JSON too', async () => {
    const run = await outlier([
      'fit',
      'ae',
      '--kind',
      'autoencoder',
      '--reference',
      file('ref.csv'),
      '--hidden-units',
      '2,1',
      '--epochs',
      '7',
      '--threshold-percentile',
      '99',
      '--json',
    ]);
    expectOk(run);
    const { created, detector } = JSON.parse(run.stdout);
    expect(created).toBe(true);
    expect(detector).toMatchObject({
      kind: 'autoencoder',
      state: 'threshold-set',
      threshold_source: 'fit_percentile',
      threshold_percentile: 99,
      feature_names: ['x', 'y'],
    });
    expect(detector.settings).toMatchObject({ hidden_units: [2, 1], epochs: 7 });
    expect(detector.lineage.training).toMatchObject({ epoch: 7, epochs: 7, backend: 'tfjs-cpu' });
  });

  it('fits an existing detector again with no flags, and refuses another kind or other settings saying how to delete', async () => {
    const again = await outlier(['fit', 'forest', '--reference', file('ref.csv'), '--json']);
    expectOk(again);
    expect(JSON.parse(again.stdout)).toMatchObject({ created: false, detector: { version: 2 } });
    expectOneSentence(
      await outlier(['fit', 'forest', '--kind', 'mahalanobis', '--reference', file('ref.csv')]),
      2,
      /^sightline: --kind mahalanobis: detector "forest" exists as kind iforest; delete it first \(sightline outlier delete forest\) to fit another kind$/m,
    );
    expectOneSentence(
      await outlier(['fit', 'forest', '--trees', '10', '--reference', file('ref.csv')]),
      2,
      /^sightline: --trees 10: detector "forest" exists with 50; .*sightline outlier delete forest/,
    );
  });

  it('refuses usage mistakes before calling: no kind to create, a flag of another kind, text and malformed files', async () => {
    const before = fake.requests.get('createDetector')!.length;
    expectOneSentence(
      await outlier(['fit', 'new', '--reference', file('ref.csv')]),
      2,
      /^sightline: --kind: required to create detector "new" \(iforest, mahalanobis, autoencoder\)$/m,
    );
    expectOneSentence(
      await outlier(['fit', 'new', '--kind', 'iforest', '--epochs', '3', '--reference', file('ref.csv')]),
      2,
      /^sightline: --epochs: applies to --kind autoencoder, not iforest$/m,
    );
    expectOneSentence(
      await outlier(['fit', 'new', '--kind', 'iforest', '--reference', file('text.csv')]),
      2,
      /column "species" holds text; outlier detectors score numeric columns only/,
    );
    expectOneSentence(
      await outlier(['fit', 'new', '--kind', 'iforest', '--reference', file('bad.csv')]),
      2,
      /bad\.csv: line 3, column 2: expected 2 cells like the header, got 1/,
    );
    expectOneSentence(
      await outlier([
        'fit',
        'new',
        '--kind',
        'iforest',
        '--threshold',
        '1',
        '--contamination',
        '0.1',
        '--reference',
        file('ref.csv'),
      ]),
      2,
      /^sightline: --contamination: give one threshold rule, not it and --threshold$/m,
    );
    expect(fake.requests.get('createDetector')!.length).toBe(before);
  });
});

describe('sightline outlier score', () => {
  it('prints each row with its label, score and verdict, then the threshold and the count', async () => {
    const run = await outlier(['score', 'forest', '--data', file('batch.csv')]);
    expectOk(run);
    expect(run.stdout).toMatch(/│ 3 +│ 1 +│ [\d.e+-]+ +│ OUTLIER +│/);
    expect(run.stdout).toMatch(/│ 0 +│ 0 +│ [\d.e+-]+ +│ inlier +│/);
    expect(run.stdout).toMatch(/^detector +forest \(IForest, version 2\)$/m);
    expect(run.stdout).toMatch(/^outliers +1$/m);
    const predict = fake.requests.get('predict')!.at(-1) as outlierV1.PredictRequest;
    expect(predict.data.map((t) => t.name)).toEqual(['x', 'y']);
  });

  it("prints the autoencoder's per-feature scores, and JSON as Alibi's data", async () => {
    const human = await outlier(['score', 'ae', '--data', file('batch.csv')]);
    expectOk(human);
    expect(human.stdout).toMatch(/│ row │ label │ score +│ verdict │ x score +│ y score +│/);
    const run = await outlier(['score', 'ae', '--data', file('batch.csv'), '--json']);
    expectOk(run);
    const doc = JSON.parse(run.stdout);
    expect(doc).toMatchObject({ detector: 'ae', feature_names: ['x', 'y'], labels: [0, 0, 0, 1] });
    expect(doc.meta).toMatchObject({ kind_name: 'OutlierAE', detector_type: 'outlier' });
    expect(doc.data.is_outlier).toEqual([false, false, false, true]);
    expect(doc.data.feature_scores).toHaveLength(4);
    expect(doc.data.feature_scores[3]).toHaveLength(2);
    expect(doc.threshold).toBe(doc.data.threshold);
  });

  it("exits 1 with the service's sentence for an unknown detector and a wrong width", async () => {
    expectOneSentence(
      await outlier(['score', 'nope', '--data', file('batch.csv')]),
      1,
      /^sightline: NOT_FOUND: detector "nope": not found$/m,
    );
    await writeFile(file('one.csv'), 'x\n1\n2\n');
    expectOneSentence(
      await outlier(['score', 'forest', '--data', file('one.csv')]),
      1,
      /^sightline: INVALID_ARGUMENT: data: expected 2 features per row/,
    );
  });

  it('infers a threshold at a false-positive rate', async () => {
    const run = await outlier([
      'infer-threshold',
      'forest',
      '--data',
      file('ref.csv'),
      '--false-positive-rate',
      '0.01',
    ]);
    expectOk(run);
    expect(run.stdout).toMatch(
      /threshold [\d.]+ \(the 99th percentile of the data given to infer-threshold\)/,
    );
  });
});

describe('sightline outlier list, get, attach, detach, events, run, delete', () => {
  it('lists and gets detectors with the threshold and its source and every version', async () => {
    const list = await outlier(['list', '--json']);
    expectOk(list);
    expect(JSON.parse(list.stdout).detectors.map((d: { name: string }) => d.name)).toEqual(['ae', 'forest']);
    const table = await outlier(['list']);
    expect(table.stdout).toMatch(/│ forest +│ iforest +│ threshold-set │ 2 +│ 2 +│ 200 +│ [\d.]+ +│ no +│/);
    const get = await outlier(['get', 'forest']);
    expectOk(get);
    expect(get.stdout).toMatch(
      /^threshold +[\d.]+ \(the 99th percentile of the data given to infer-threshold\)$/m,
    );
    expect(get.stdout).toMatch(/│ 2 +│ IForest │ 200 +│ 0{12} +│ .*ref\.csv │ \S+ +│ 3 +│/);
    expect(get.stdout).toMatch(/│ 1 +│ IForest │/);
  });

  it('attaches to a model with a selector, and detaches', async () => {
    const attach = await outlier([
      'attach',
      'forest',
      '--model',
      'iris',
      '--version',
      '1',
      '--tensors',
      'input',
      '--columns',
      'x,y',
    ]);
    expectOk(attach);
    expect(attach.stdout).toMatch(/is attached: model iris version 1, request tensors input, columns x, y$/m);
    const request = fake.requests.get('attachDetector')!.at(-1) as outlierV1.AttachDetectorRequest;
    expect(request.selector).toMatchObject({ modelName: 'iris', modelVersion: '1', tensors: ['input'] });
    expectOk(await outlier(['detach', 'forest']));
    expectOneSentence(
      await outlier(['attach', 'forest', '--tensors', 'input']),
      2,
      /^sightline: --tensors: only with --model/,
    );
  });

  it('lists outlier events with filters, newest first', async () => {
    fake.addEvents([
      {
        eventId: 'e1',
        detector: 'forest',
        detectorVersion: 2,
        requestId: 'r1',
        modelName: 'iris',
        modelVersion: '1',
        isOutlier: false,
        score: 0.2,
        threshold: 0.6,
        rowIsOutlier: [false],
        rowScore: [0.2],
        time: new Date(Date.now() - 60_000),
      },
      {
        eventId: 'e2',
        detector: 'forest',
        detectorVersion: 2,
        requestId: 'r2',
        modelName: 'iris',
        modelVersion: '1',
        isOutlier: true,
        score: 0.9,
        threshold: 0.6,
        rowIsOutlier: [true, false],
        rowScore: [0.9, 0.1],
        traceId: 'cd'.repeat(16),
        time: new Date(Date.now() - 30_000),
      },
    ]);
    const run = await outlier(['events', 'forest', '--outliers-only', '--from', '1h']);
    expectOk(run);
    expect(run.stdout).toMatch(
      /│ forest +│ 2 +│ r2 +│ iris:1 │ +│ OUTLIER │ 0\.9 +│ 0\.6 +│ 1\/2 +│ (cd)+ │/,
    );
    expect(run.stdout).not.toMatch(/│ r1 /);
    const json = JSON.parse((await outlier(['events', '--json', '--limit', '5'])).stdout);
    expect(json.events.map((e: { event_id: string }) => e.event_id)).toEqual(['e2', 'e1']);
    const request = fake.requests.get('listOutlierEvents')!.at(-1) as outlierV1.ListOutlierEventsRequest;
    expect(request.pageSize).toBe(5);
  });

  it('runs over a time range: only outliers asked for, listed with request id, time, score and rows flagged', async () => {
    const run = await outlier(['run', 'forest', '--from', '2h', '--to', '1h', '--model', 'iris']);
    expectOk(run);
    expect(run.stdout).toMatch(/│ req-3 +│ \d{4}-\d\d-\d\dT[\d:.]+Z │ iris:1 │ [\d.]+ +│ 1\/2 +│ (ab)+ │/);
    expect(run.stdout).toMatch(/^events read +4$/m);
    expect(run.stdout).toMatch(/^outlier events +1$/m);
    const request = fake.requests.get('scoreHistory')!.at(-1) as outlierV1.ScoreHistoryRequest;
    expect(request).toMatchObject({ outliersOnly: true, selector: { modelName: 'iris' } });
    const json = JSON.parse(
      (await outlier(['run', 'forest', '--from', '2h', '--model', 'iris', '--json'])).stdout,
    );
    expect(json.outliers.map((o: { request_id: string }) => o.request_id)).toEqual(['req-3']);
    expect(json.progress).toMatchObject({ events_read: 4, outlier_events: 1 });
    expectOneSentence(
      await spawnOutlier(['run', 'forest', '--from', '1h', '--to', '2h']),
      2,
      /^sightline: --to: must be after --from/,
    );
    expectOneSentence(
      await outlier(['run', 'ae', '--from', '1h']),
      1,
      /^sightline: INVALID_ARGUMENT: selector: required/,
    );
  });

  it('deletes, and then the detector is unknown', async () => {
    const run = await outlier(['delete', 'ae', '--json']);
    expectOk(run);
    expect(JSON.parse(run.stdout)).toEqual({ detector: 'ae', deleted: true });
    expectOneSentence(
      await spawnOutlier(['delete', 'ae']),
      1,
      /^sightline: NOT_FOUND: detector "ae": not found$/m,
    );
  });
});
