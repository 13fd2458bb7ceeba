/**
 * `sightline drift ...` against the real drift service (`sightline serve drift` as a child
 * process on ephemeral ports, its data in a temporary directory): the commands' wiring to
 * the service, its answers printed as tables and JSON, its errors as one sentence. The CLI
 * runs in the test's process; one refusal goes through the built CLI as a subprocess.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOk, expectOneSentence } from './helpers/cli-expect.js';
import { runCli, spawnCli } from './helpers/run-cli.js';
import { type RunningService, startService } from './helpers/services.js';

let service: RunningService;
let dir: string;

/** A numeric CSV of `rows` rows around `centre`, deterministic. */
function csv(rows: number, centre: number): string {
  const lines = ['sepal,petal'];
  for (let i = 0; i < rows; i++) lines.push(`${centre + ((i * 7) % 20) / 10},${1 + ((i * 13) % 17) / 10}`);
  return `${lines.join('\n')}\n`;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cli-drift-service-'));
  // An empty event store (the service refuses history over a directory that does not exist).
  await mkdir(path.join(dir, 'events'));
  await writeFile(path.join(dir, 'ref.csv'), csv(200, 0));
  await writeFile(path.join(dir, 'shifted.csv'), csv(100, 3));
  await writeFile(path.join(dir, 'other.csv'), 'width\n1\n2\n3\n');
  const colours = (rows: number, centre: number) =>
    `x,colour\n${Array.from({ length: rows }, (_, i) => `${centre + ((i * 7) % 20) / 10},${['red', 'green', 'blue'][i % 3]}`).join('\n')}\n`;
  await writeFile(path.join(dir, 'mixed-ref.csv'), colours(300, 0));
  await writeFile(path.join(dir, 'mixed-shifted.csv'), colours(100, 3));
  service = await startService('drift', [
    '--data-dir',
    path.join(dir, 'drift'),
    '--events-dir',
    path.join(dir, 'events'),
  ]);
}, 120_000);

afterAll(async () => {
  await service?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const drift = (args: string[]) => runCli(['drift', ...args], { SIGHTLINE_DRIFT_ADDRESS: service.address });
const file = (name: string) => path.join(dir, name);

describe('sightline drift against the drift service', () => {
  it('fits an MMD detector with lineage and scores a shifted batch: statistic, bandwidth, p-value', async () => {
    const fit = await drift([
      'fit',
      'petals',
      '--kind',
      'mmd',
      '--reference',
      file('ref.csv'),
      '--permutations',
      '50',
      '--seed',
      '7',
      '--json',
    ]);
    expectOk(fit);
    const { created, detector } = JSON.parse(fit.stdout);
    expect(created).toBe(true);
    expect(detector).toMatchObject({
      name: 'petals',
      kind: 'mmd',
      state: 'fitted',
      version: 1,
      feature_count: 2,
      reference_rows: 200,
    });
    expect(detector.settings).toMatchObject({ kind: 'mmd', permutations: 50, seed: 7 });
    expect(detector.lineage).toMatchObject({
      version: 1,
      reference_source: file('ref.csv'),
      feature_names: ['sepal', 'petal'],
    });
    expect(detector.lineage.reference_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(detector.lineage.creator).not.toBe('');

    const score = await drift(['score', 'petals', '--data', file('shifted.csv')]);
    expectOk(score);
    expect(score.stdout).toMatch(/^detector petals \(MMDDrift\)$/m);
    expect(score.stdout).toMatch(/^verdict +DRIFT$/m);
    expect(score.stdout).toMatch(/^statistic +[\d.e-]+$/m);
    expect(score.stdout).toMatch(/^bandwidth \(sigma\) +[\d.]+$/m);
    expect(score.stdout).toMatch(/^p-value +[\d.e-]+$/m);
    expect(score.stdout).toMatch(/│ sepal +│ numeric │ +│ +│ +│ [\d.]+ +│/);
  });

  it('fits a tabular detector on numeric and text columns and prints KS and chi2 per feature', async () => {
    expectOk(
      await drift([
        'fit',
        'mixed',
        '--reference',
        file('mixed-ref.csv'),
        '--categorical',
        'colour',
        '--correction',
        'fdr',
      ]),
    );
    const score = await drift(['score', 'mixed', '--data', file('mixed-shifted.csv')]);
    expectOk(score);
    expect(score.stdout).toMatch(
      /│ x +│ numeric +│ ks +│ 1 +│ [\d.e-]+ +│ [\d.]+ +│ [\d.]+ +│ 3 +│ [\d.]+ +│ DRIFT +│/,
    );
    expect(score.stdout).toMatch(
      /│ colour +│ categorical │ chi2 │ [\d.e-]+ +│ 0\.9\d* +│ [\d.e-]+ +│ [\d.e-]+ +│ +│ [\d.e-]+ +│ no drift │/,
    );
    expect(score.stdout).toMatch(/^verdict +DRIFT$/m);
    expect(score.stdout).toMatch(/^correction +fdr$/m);
    expectOk(await drift(['delete', 'mixed']));
  });

  it('fits again as version 2, keeps version 1, and lists and gets it', async () => {
    expectOk(await drift(['fit', 'petals', '--reference', file('ref.csv')]));
    const get = await drift(['get', 'petals']);
    expectOk(get);
    expect(get.stdout).toMatch(/^version +2$/m);
    expect(get.stdout).toMatch(/│ 2 +│ .*ref\.csv │/);
    expect(get.stdout).toMatch(/│ 1 +│ .*ref\.csv │/);
    const list = JSON.parse((await drift(['list', '--json'])).stdout);
    expect(list.detectors.map((d: { name: string; version: number }) => [d.name, d.version])).toEqual([
      ['petals', 2],
    ]);
  });

  it("refuses what the service refuses with exit 1 and the service's sentence", async () => {
    expectOneSentence(
      await drift(['score', 'petals', '--data', file('other.csv')]),
      1,
      /^sightline: INVALID_ARGUMENT: .*"(sepal|width)"/m,
    );
    expectOneSentence(
      await spawnCli(['drift', 'get', 'nope'], { SIGHTLINE_DRIFT_ADDRESS: service.address }),
      1,
      /^sightline: NOT_FOUND: .*"nope"/m,
    );
    // A fit the service refuses leaves no half-made detector behind.
    expectOneSentence(
      await drift(['fit', 'tiny', '--kind', 'mmd', '--reference', file('other.csv'), '--seed', '1']),
      1,
      /^sightline: INVALID_ARGUMENT: /m,
    );
    expectOneSentence(await drift(['get', 'tiny']), 1, /^sightline: NOT_FOUND: /m);
  });

  it('attaches to a model with a window, shows it, and detaches', async () => {
    const attach = await drift([
      'attach',
      'petals',
      '--model',
      'iris',
      '--version',
      '1',
      '--columns',
      'sepal,petal',
      '--max-rows',
      '50',
      '--max-duration',
      '1m',
    ]);
    expectOk(attach);
    expect(attach.stdout).toMatch(
      /^live events +model iris version 1, request tensors \(all\), columns sepal, petal$/m,
    );
    expect(attach.stdout).toMatch(/^live window +50 rows or 1m, whichever first; tumbling$/m);
    expect(JSON.parse((await drift(['get', 'petals', '--json'])).stdout).detector.attached).toBe(true);
    expectOk(await drift(['detach', 'petals']));
    expectOneSentence(await drift(['detach', 'petals']), 1, /^sightline: FAILED_PRECONDITION: /m);
  });

  it('runs over a time range with no stored events: no windows, and nothing in events', async () => {
    const run = await drift(['run', 'petals', '--from', '1h', '--model', 'iris', '--json']);
    expectOk(run);
    expect(JSON.parse(run.stdout)).toMatchObject({ detector: 'petals', windows: [] });
    expect(JSON.parse((await drift(['events', 'petals', '--json'])).stdout)).toEqual({ events: [] });
    expectOneSentence(
      await drift(['events', 'no-such-detector']),
      1,
      /^sightline: NOT_FOUND: .*no-such-detector/m,
    );
  });

  it('fit --trailing creates the detector with a trailing reference, and removes it when the first fit fails', async () => {
    // The store is empty: the first version cannot be fitted, so nothing is left refitting.
    const run = await drift([
      'fit',
      'trail',
      '--trailing',
      '7d',
      '--length',
      '1h',
      '--model',
      'iris',
      '--kind',
      'ks',
    ]);
    expectOneSentence(run, 1, /no readable events/);
    const get = await drift(['get', 'trail']);
    expect(get.code).toBe(1);
  });

  it('fits an online-mmd detector, detects a shifted batch row by row, recalibrates and resets it', async () => {
    const fit = await drift([
      'fit',
      'online',
      '--kind',
      'online-mmd',
      '--reference',
      file('ref.csv'),
      '--ert',
      '50',
      '--window-size',
      '5',
      '--bootstraps',
      '500',
      '--seed',
      '3',
      '--json',
    ]);
    expectOk(fit);
    expect(JSON.parse(fit.stdout).detector).toMatchObject({ kind: 'online-mmd', version: 1 });
    const scored = await drift(['score', 'online', '--data', file('shifted.csv'), '--json']);
    expectOk(scored);
    const verdict = JSON.parse(scored.stdout);
    expect(JSON.stringify(verdict)).toMatch(/"drift(Time)?":/);
    const human = await drift(['score', 'online', '--data', file('shifted.csv')]);
    expectOk(human);
    expect(human.stdout).toMatch(/time \(rows seen\)\s+200/);
    expect(human.stdout).toMatch(/drift at row/);
    const inferred = await drift(['infer-threshold', 'online', '--ert', '40', '--json']);
    expectOk(inferred);
    expect(JSON.parse(inferred.stdout).detector.version).toBe(2);
    const reset = await drift(['reset', 'online']);
    expectOk(reset);
    expect(reset.stdout).toMatch(/is reset: time 0/);
    expectOneSentence(await drift(['reset', 'petals']), 1, /only online detectors have state to reset/);
    expectOneSentence(
      await drift([
        'fit',
        'bad-online',
        '--kind',
        'online-cvm',
        '--reference',
        file('ref.csv'),
        '--ert',
        '50',
        '--window-size',
        '150',
      ]),
      1,
      /online\.window_size_range/,
    );
  });

  it('deletes the detector', async () => {
    expectOk(await drift(['delete', 'petals']));
    expectOneSentence(await drift(['delete', 'petals']), 1, /^sightline: NOT_FOUND: /m);
  });
});
