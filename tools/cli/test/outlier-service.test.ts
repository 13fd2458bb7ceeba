/**
 * `sightline outlier ...` against the real outlier service (`startOutlier` from
 * @sightline/outlier in this process, on 127.0.0.1 ephemeral ports, its data and an event
 * store in a temporary directory): the commands' wiring to the service, its answers printed
 * as tables and JSON, its refusals as one sentence, live events scored into OutlierEvents
 * that `outlier events` lists, and a history run over stored events. The CLI runs in the
 * test's process too; one refusal goes through the built CLI as a subprocess.
 *
 * The service starts in-process rather than as `sightline serve outlier` because the serve
 * wiring is the outlier service's own part of the work (tools/cli/src/service-registry.ts).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileEventStore, type InferenceEvent, silentEventLogger, toCloudEvent } from '@sightline/events';
import { sampleEvent } from '@sightline/events/testing';
import { type OutlierHandle, outlierConfigSchema, startOutlier } from '@sightline/outlier';
import { loadConfig } from '@sightline/service-kit';
import { silentLogger } from '@sightline/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOk, expectOneSentence } from './helpers/cli-expect.js';
import { runCli, spawnCli } from './helpers/run-cli.js';

/** The start of the stored events' hour. */
const T0 = 1_790_000_000_000;

let service: OutlierHandle;
let dir: string;

/** A deterministic stream of numbers in [0, 1). */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `rows` rows of three features around (5, 3, 1), Gaussian-ish, from `seed`. */
function rowsNear(rows: number, seed: number): number[][] {
  const random = seeded(seed);
  return Array.from({ length: rows }, () =>
    [5, 3, 1].map((mean) => mean + (random() + random() + random() - 1.5) * 0.8),
  );
}

/** The planted outliers: far outside the cloud in every feature. */
const PLANTED = [
  [12, -4, 9],
  [-6, 10, -7],
];

function csv(rows: readonly (readonly number[])[], labels?: readonly number[]): string {
  const header = labels === undefined ? 'a,b,c' : 'a,b,c,label';
  const lines = rows.map((row, i) =>
    [...row.map((v) => v.toFixed(4)), ...(labels ? [labels[i]] : [])].join(','),
  );
  return `${header}\n${lines.join('\n')}\n`;
}

/** Event `i` of the iris model: one row of the three features, at `timeUnixMs`. */
function event(i: number, row: readonly number[], timeUnixMs: number): InferenceEvent {
  return sampleEvent(i, {
    timeUnixMs,
    inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 3], data: Float32Array.from(row) }],
  });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cli-outlier-service-'));
  const eventsDir = path.join(dir, 'events');
  await mkdir(eventsDir);
  // An hour of stored events: 40 inliers, and the planted rows as events 10 and 30.
  const store = await FileEventStore.open({ directory: eventsDir, logger: silentEventLogger });
  const inliers = rowsNear(40, 11);
  await store.append(
    inliers.map((row, i) => event(i, i === 10 ? PLANTED[0]! : i === 30 ? PLANTED[1]! : row, T0 + i * 60_000)),
  );
  await store.close();
  await writeFile(path.join(dir, 'ref.csv'), csv(rowsNear(300, 7)));
  const batch = [...rowsNear(6, 9), ...PLANTED];
  await writeFile(path.join(dir, 'batch.csv'), csv(batch, [0, 0, 0, 0, 0, 0, 1, 1]));
  await writeFile(path.join(dir, 'two.csv'), 'a,b\n1,2\n3,4\n');
  // A constant column: its variance is 0, so the covariance is singular.
  const constant = rowsNear(50, 3).map(([a, b]) => [a!, b!, 1]);
  await writeFile(path.join(dir, 'constant.csv'), csv(constant));
  const config = loadConfig(outlierConfigSchema, {
    flags: {
      host: '127.0.0.1',
      grpcPort: 0,
      httpPort: 0,
      shutdownGraceMs: 2000,
      dataDir: path.join(dir, 'outlier'),
      eventsDir,
    },
    env: {},
  });
  service = await startOutlier(config, { logger: silentLogger() });
}, 120_000);

afterAll(async () => {
  await service?.shutdown('test over');
  if (dir) await rm(dir, { recursive: true, force: true });
});

const outlier = (args: string[]) =>
  runCli(['outlier', ...args], { SIGHTLINE_OUTLIER_ADDRESS: service.grpcAddress });
const file = (name: string) => path.join(dir, name);

describe('sightline outlier against the outlier service', () => {
  it('fits an isolation forest with lineage and a threshold at the 95th percentile of the reference', async () => {
    const fit = await outlier([
      'fit',
      'forest',
      '--kind',
      'iforest',
      '--reference',
      file('ref.csv'),
      '--trees',
      '100',
      '--seed',
      '7',
      '--json',
    ]);
    expectOk(fit);
    const { created, detector } = JSON.parse(fit.stdout);
    expect(created).toBe(true);
    expect(detector).toMatchObject({
      name: 'forest',
      kind: 'iforest',
      state: 'threshold-set',
      version: 1,
      feature_count: 3,
      reference_rows: 300,
      threshold_source: 'fit_percentile',
      threshold_percentile: 95,
    });
    expect(detector.settings).toMatchObject({ kind: 'iforest', n_estimators: 100, seed: 7 });
    expect(detector.threshold).toBeGreaterThan(0);
    expect(detector.threshold).toBeLessThan(1);
    expect(detector.lineage).toMatchObject({
      version: 1,
      kind_name: 'IForest',
      reference_source: file('ref.csv'),
    });
    expect(detector.lineage.reference_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(detector.lineage.creator).not.toBe('');
  });

  it('scores a labelled file: the planted rows are the outliers, the label column shown, not sent', async () => {
    const run = await outlier(['score', 'forest', '--data', file('batch.csv'), '--json']);
    expectOk(run);
    const doc = JSON.parse(run.stdout);
    // The planted rows are flagged and score above every inlier (at the 95th percentile an
    // inlier may be flagged too: 5% of the reference is).
    expect(doc.data.is_outlier.slice(6)).toEqual([true, true]);
    const scores: number[] = doc.data.instance_scores;
    expect(Math.min(...scores.slice(6))).toBeGreaterThan(Math.max(...scores.slice(0, 6)));
    expect(doc.labels).toEqual([0, 0, 0, 0, 0, 0, 1, 1]);
    expect(doc.meta).toMatchObject({ kind_name: 'IForest', detector_type: 'outlier', version: 1 });
    expect(doc.data.instance_scores).toHaveLength(8);
    expect(doc.threshold).toBe(doc.data.threshold);
    const human = await outlier(['score', 'forest', '--data', file('batch.csv')]);
    expectOk(human);
    expect(human.stdout).toMatch(/│ 7 +│ 1 +│ 0\.\d+ +│ OUTLIER │/);
    expect(human.stdout).toMatch(/^outliers +2$/m);
  });

  it('fits a Mahalanobis detector; a singular covariance is refused naming the columns, and no detector is left', async () => {
    expectOk(
      await outlier([
        'fit',
        'maha',
        '--kind',
        'mahalanobis',
        '--reference',
        file('ref.csv'),
        '--threshold-percentile',
        '99',
      ]),
    );
    const get = await outlier(['get', 'maha']);
    expectOk(get);
    expect(get.stdout).toMatch(
      /^threshold +[\d.]+ \(the 99th percentile of the reference's scores, set by the fit\)$/m,
    );
    const refused = await outlier([
      'fit',
      'flat',
      '--kind',
      'mahalanobis',
      '--reference',
      file('constant.csv'),
    ]);
    expectOneSentence(refused, 1, /^sightline: INVALID_ARGUMENT: .*"c"/m);
    expectOneSentence(await outlier(['get', 'flat']), 1, /^sightline: NOT_FOUND: /m);
  });

  it('trains an autoencoder through the progress stream, then scores rows and each feature', async () => {
    const fit = await outlier([
      'fit',
      'ae',
      '--kind',
      'autoencoder',
      '--reference',
      file('ref.csv'),
      '--hidden-units',
      '2,1',
      '--epochs',
      '5',
      '--batch-size',
      '32',
      '--seed',
      '1',
      '--json',
    ]);
    expectOk(fit);
    const { detector } = JSON.parse(fit.stdout);
    expect(detector).toMatchObject({ kind: 'autoencoder', state: 'threshold-set', threshold_percentile: 95 });
    expect(detector.settings).toMatchObject({ hidden_units: [2, 1], epochs: 5, batch_size: 32, seed: 1 });
    expect(detector.lineage.training).toMatchObject({ epoch: 5, epochs: 5 });
    expect(detector.lineage.training.backend).toMatch(/^tfjs-/);
    const score = await outlier(['score', 'ae', '--data', file('batch.csv'), '--json']);
    expectOk(score);
    const doc = JSON.parse(score.stdout);
    expect(doc.meta.kind_name).toBe('OutlierAE');
    expect(doc.data.feature_scores).toHaveLength(8);
    expect(doc.data.feature_scores.every((row: number[]) => row.length === 3)).toBe(true);
    // Each row's score is the mean of its feature scores (the decision the contract states).
    const [row] = doc.data.feature_scores as number[][];
    expect(doc.data.instance_scores[0]).toBeCloseTo(row!.reduce((a, b) => a + b, 0) / 3, 9);
    expect(doc.data.is_outlier.slice(6)).toEqual([true, true]);
    const human = await outlier(['score', 'ae', '--data', file('batch.csv')]);
    expectOk(human);
    expect(human.stdout).toMatch(/│ row │ label │ score +│ verdict │ a score +│ b score +│ c score +│/);
    const get = await outlier(['get', 'ae']);
    expect(get.stdout).toMatch(/│ 5\/5 epochs, loss [\d.e-]+, [\d.]+ s on tfjs-\w+/);
  });

  it("refuses what the service refuses with exit 1 and its sentence, and the CLI's own mistakes with exit 2", async () => {
    expectOneSentence(
      await outlier(['score', 'forest', '--data', file('two.csv')]),
      1,
      /^sightline: INVALID_ARGUMENT: /m,
    );
    expectOneSentence(
      await spawnCli(['outlier', 'get', 'nope'], { SIGHTLINE_OUTLIER_ADDRESS: service.grpcAddress }),
      1,
      /^sightline: NOT_FOUND: .*"nope"/m,
    );
    expectOneSentence(
      await outlier(['fit', 'forest', '--kind', 'mahalanobis', '--reference', file('ref.csv')]),
      2,
      /^sightline: --kind mahalanobis: detector "forest" exists as kind iforest; delete it first \(sightline outlier delete forest\)/m,
    );
    expectOneSentence(
      await outlier(['fit', 'big', '--kind', 'iforest', '--trees', '20000', '--reference', file('ref.csv')]),
      2,
      /^sightline: --trees: expected a whole number from 1 to 10000/m,
    );
  });

  it('fits again as version 2, keeping version 1 in the lineage, and lists every detector', async () => {
    expectOk(await outlier(['fit', 'forest', '--reference', file('ref.csv')]));
    const get = await outlier(['get', 'forest', '--json']);
    expectOk(get);
    expect(JSON.parse(get.stdout).versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    const list = JSON.parse((await outlier(['list', '--json'])).stdout);
    expect(list.detectors.map((d: { name: string }) => d.name)).toEqual(['ae', 'forest', 'maha']);
  });

  it('runs over the stored hour: the planted events are the outliers, with request id, time and rows flagged', async () => {
    const run = await outlier([
      'run',
      'forest',
      '--from',
      new Date(T0).toISOString(),
      '--to',
      new Date(T0 + 3_600_000).toISOString(),
      '--model',
      'iris',
      '--tensors',
      'input',
      '--columns',
      'a,b,c',
      '--json',
    ]);
    expectOk(run);
    const doc = JSON.parse(run.stdout);
    const found: { request_id: string; event_time: string; instance_scores: number[] }[] = doc.outliers;
    // The planted events, and at most the few inliers above the 95th percentile.
    const ids = found.map((o) => o.request_id);
    expect(ids).toEqual(expect.arrayContaining(['req-0000000a', 'req-0000001e']));
    expect(ids.length).toBeLessThanOrEqual(5);
    const planted = found.find((o) => o.request_id === 'req-0000000a')!;
    expect(planted.event_time).toBe(new Date(T0 + 10 * 60_000).toISOString());
    const top = [...found].sort((x, y) => y.instance_scores[0]! - x.instance_scores[0]!).slice(0, 2);
    expect(top.map((o) => o.request_id).sort()).toEqual(['req-0000000a', 'req-0000001e']);
    expect(doc.progress).toMatchObject({ events_read: 40, events_scored: 40, outlier_events: found.length });
    const human = await outlier([
      'run',
      'forest',
      '--from',
      new Date(T0).toISOString(),
      '--to',
      new Date(T0 + 3_600_000).toISOString(),
      '--model',
      'iris',
      '--columns',
      'a,b,c',
    ]);
    expectOk(human);
    expect(human.stdout).toMatch(/│ req-0000000a │ [\dT:.-]+Z │ iris:1 │ 0\.\d+ +│ 1\/1 +│ [0-9a-f]{32} │/);
  });

  it('attaches to the live stream: each event posted is scored and listed by events, then detaches', async () => {
    const attach = await outlier([
      'attach',
      'forest',
      '--model',
      'iris',
      '--tensors',
      'input',
      '--columns',
      'a,b,c',
    ]);
    expectOk(attach);
    expect(attach.stdout).toMatch(/is attached: model iris, request tensors input, columns a, b, c$/m);
    const now = Date.now();
    const live = [event(100, rowsNear(1, 5)[0]!, now), event(101, PLANTED[0]!, now + 1)];
    const response = await fetch(`http://127.0.0.1:${service.httpPort}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents-batch+json' },
      body: JSON.stringify(live.map((e) => toCloudEvent(e).toJSON())),
    });
    expect(response.status).toBe(202);
    await service.idle();
    const events = await outlier(['events', 'forest', '--json']);
    expectOk(events);
    const listed = JSON.parse(events.stdout).events;
    expect(
      listed.map((e: { request_id: string; is_outlier: boolean }) => [e.request_id, e.is_outlier]),
    ).toEqual([
      ['req-00000065', true],
      ['req-00000064', false],
    ]);
    const only = await outlier(['events', '--outliers-only']);
    expectOk(only);
    expect(only.stdout).toMatch(
      /│ forest +│ 2 +│ req-00000065 │ iris:1 +│ iris +│ OUTLIER │ 0\.\d+ +│ 0\.\d+ +│ 1\/1 +│/,
    );
    expect(only.stdout).not.toMatch(/req-00000064/);
    const detach = await outlier(['detach', 'forest', '--json']);
    expectOk(detach);
    expect(JSON.parse(detach.stdout).detector.attached).toBe(false);
  });

  it('deletes the detectors', async () => {
    expectOk(await outlier(['delete', 'forest']));
    expectOk(await outlier(['delete', 'maha']));
    expectOk(await outlier(['delete', 'ae']));
    expectOneSentence(await outlier(['delete', 'forest']), 1, /^sightline: NOT_FOUND: /m);
    // Its events stay listed; a name with neither a detector nor events is NOT_FOUND.
    expect(JSON.parse((await outlier(['events', 'forest', '--json'])).stdout).events.length).toBeGreaterThan(
      0,
    );
    expectOneSentence(
      await outlier(['events', 'no-such-detector']),
      1,
      /^sightline: NOT_FOUND: .*no-such-detector/m,
    );
  });
});
