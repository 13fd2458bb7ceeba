/**
 * `sightline drift ...` as a user runs it, against a DriftService on 127.0.0.1, its tables
 * and --json checked, and its exit codes (0 done, 1 the service's error, 2 a usage error,
 * one sentence and no stack trace). The CLI runs in the test's process; one usage mistake and
 * one unreachable service go through the built CLI as a subprocess, as a shell sees them. The service
 * here is the SDK's in-memory double (`@sightline/sdk/testing`): these tests are about the
 * commands, not the statistics.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { driftV1 } from '@sightline/contracts';
import { type FakeDriftService, startFakeDriftService } from '@sightline/sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOk, expectOneSentence } from './helpers/cli-expect.js';
import { runCli, spawnCli } from './helpers/run-cli.js';

let fake: FakeDriftService;
let dir: string;

/** A CSV of `rows` rows: x around `centre`, y, and a colour category. */
function csv(rows: number, centre: number): string {
  const lines = ['x,y,colour'];
  for (let i = 0; i < rows; i++) {
    lines.push(`${centre + ((i * 7) % 20) / 10},${(i * 13) % 17},${['red', 'green', 'blue'][i % 3]}`);
  }
  return `${lines.join('\n')}\n`;
}

beforeAll(async () => {
  fake = await startFakeDriftService();
  dir = await mkdtemp(path.join(tmpdir(), 'cli-drift-'));
  await writeFile(path.join(dir, 'ref.csv'), csv(200, 0));
  await writeFile(path.join(dir, 'same.csv'), csv(100, 0));
  await writeFile(path.join(dir, 'shifted.csv'), csv(100, 3));
  await writeFile(path.join(dir, 'bad.csv'), 'x,y,colour\n1,2,red\n3,4\n');
  await writeFile(path.join(dir, 'fewer.csv'), 'x,y\n1,2\n3,4\n');
});

afterAll(async () => {
  await fake?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const drift = (args: string[]) =>
  runCli(['drift', ...args], { SIGHTLINE_DRIFT_ADDRESS: fake.address, USER: 'tester' });
const file = (name: string) => path.join(dir, name);

describe('sightline drift fit', () => {
  it('creates the detector with the flags, fits it, and sends the OS user and the file path', async () => {
    const run = await drift([
      'fit',
      'tab',
      '--reference',
      file('ref.csv'),
      '--categorical',
      'colour',
      '--p-val',
      '0.01',
      '--correction',
      'fdr',
      '--method',
      'exact',
    ]);
    expectOk(run);
    expect(run.stdout).toMatch(
      /^created and fitted detector "tab": version 1, 200 reference rows, 3 features$/m,
    );
    expect(run.stdout).toMatch(/^features +x \(numeric\), y \(numeric\), colour \(categorical\)$/m);
    const create = fake.requests.get('createDetector')!.at(-1) as driftV1.CreateDetectorRequest;
    expect(create.config?.tabular).toMatchObject({ pVal: 0.01, correction: 2, ksMethod: 2 });
    expect(create.categoricalFeatures).toEqual(['colour']);
    const fit = fake.requests.get('fit')!.at(-1) as driftV1.FitRequest;
    expect(fit.creator).not.toBe('');
    expect(fit.referenceSource).toBe(file('ref.csv'));
    expect(fit.data.map((t) => [t.name, t.datatype])).toEqual([
      ['x', 'FP64'],
      ['y', 'FP64'],
      ['colour', 'BYTES'],
    ]);
  });

  it('fits an existing detector again as a new version, printing one JSON document with --json', async () => {
    const run = await drift(['fit', 'tab', '--reference', file('ref.csv'), '--p-val', '0.01', '--json']);
    expectOk(run);
    const answer = JSON.parse(run.stdout);
    expect(answer).toMatchObject({
      created: false,
      detector: { name: 'tab', version: 2, state: 'fitted', kind: 'tabular' },
    });
    expect(answer.detector.lineage).toMatchObject({
      version: 2,
      kind_name: 'TabularDrift',
      reference_rows: 200,
    });
  });

  it.each([
    [
      ['--reference', 'bad.csv'],
      /^sightline: --reference .*bad\.csv: line 3, column 3: expected 3 cells like the header, got 2$/m,
    ],
    [
      ['--reference', 'nope.csv'],
      /^sightline: --reference .*nope\.csv: cannot read the file \(no such file\)$/m,
    ],
    [
      ['--reference', 'ref.csv', '--kind', 'kss'],
      /^sightline: option '--kind <kind>' argument 'kss' is invalid/,
    ],
    [
      ['--reference', 'ref.csv', '--permutations', '100'],
      /^sightline: --permutations: applies to --kind mmd\|lsdd, not tabular$/m,
    ],
    [
      ['--reference', 'ref.csv', '--p-val', '0.05'],
      /^sightline: --p-val 0\.05: detector "tab" exists; its settings are fixed when it is created .*; it has 0\.01$/m,
    ],
    [
      ['--reference', 'ref.csv', '--kind', 'ks'],
      /^sightline: --kind ks: detector "tab" exists; .*; it is tabular$/m,
    ],
    [
      ['--reference', 'ref.csv', '--categorical', 'shade'],
      /^sightline: --categorical: "shade" is not a column of .*ref\.csv \(x, y, colour\)$/m,
    ],
  ])('refuses a usage mistake with exit 2: %j', async (args, pattern) => {
    const resolved = args.map((arg) => (arg.endsWith('.csv') ? file(arg) : arg));
    expectOneSentence(await drift(['fit', 'tab', ...resolved]), 2, pattern);
  });

  it('fits on stored events with --from and a selector, or says to give a file or a range', async () => {
    const run = await drift([
      'fit',
      'tab',
      '--from',
      '2026-12-01T00:00:00Z',
      '--to',
      '2026-12-02T00:00:00Z',
      '--model',
      'iris',
      '--columns',
      'x,y,colour',
    ]);
    expectOneSentence(
      run,
      1,
      /^sightline: FAILED_PRECONDITION: reference_events: no event store configured/m,
    );
    const sent = fake.requests.get('fit')!.at(-1) as driftV1.FitRequest;
    expect(sent.data).toEqual([]);
    expect(sent.referenceEvents?.selector).toMatchObject({
      modelName: 'iris',
      columnNames: ['x', 'y', 'colour'],
    });
    expect(sent.referenceEvents?.range?.startTime).toEqual(new Date('2026-12-01T00:00:00Z'));
    expectOneSentence(
      await drift(['fit', 'tab']),
      2,
      /^sightline: --reference, --from or --trailing: give one/m,
    );
    expectOneSentence(
      await drift(['fit', 'tab', '--reference', file('ref.csv'), '--model', 'iris']),
      2,
      /^sightline: --model: only with --from/m,
    );
  });

  it('creates and fits an MMD detector with its permutations and seed', async () => {
    const run = await drift([
      'fit',
      'mmd',
      '--kind',
      'mmd',
      '--reference',
      file('ref.csv'),
      '--permutations',
      '200',
      '--seed',
      '7',
      '--categorical',
      'colour',
    ]);
    expectOk(run);
    const create = fake.requests.get('createDetector')!.at(-1) as driftV1.CreateDetectorRequest;
    expect(create.config?.mmd).toMatchObject({ nPermutations: 200, seed: 7n });
  });
});

describe('sightline drift score', () => {
  it('prints per feature the statistic, p-value, effect sizes and verdict, then the overall verdict', async () => {
    const run = await drift(['score', 'tab', '--data', file('shifted.csv')]);
    expectOk(run);
    expect(run.stdout).toMatch(/^detector tab \(TabularDrift\)$/m);
    expect(run.stdout).toMatch(
      /│ feature │ type +│ test │ statistic │ p-value +│ psi +│ jensen-shannon │ wasserstein │ hellinger │ verdict +│/,
    );
    expect(run.stdout).toMatch(/│ x +│ numeric +│ ks +│ 1 +│ [\d.e-]+ +│ 1 +│ 0\.5 +│ 3 +│ 0\.5 +│ DRIFT +│/);
    expect(run.stdout).toMatch(/│ colour +│ categorical │ chi2 +│ [\d.e-]+ +│ [\d.e-]+ +│ .* │ no drift │/);
    expect(run.stdout).toMatch(/^verdict +DRIFT$/m);
    expect(run.stdout).toMatch(/^threshold +[\d.e-]+ \(p_value\)$/m);
    expect(run.stdout).toMatch(/^correction +fdr$/m);
    expect(run.stdout).toMatch(/^significance level +0\.01$/m);
  });

  it('prints the verdict as one JSON document with --json', async () => {
    const run = await drift(['score', 'tab', '--data', file('same.csv'), '--json']);
    expectOk(run);
    const answer = JSON.parse(run.stdout);
    expect(answer.meta).toMatchObject({ name: 'tab', kind_name: 'TabularDrift' });
    expect(answer.verdict).toMatchObject({ drift: false, correction: 'fdr', alpha: 0.01, rows: 100 });
    expect(answer.verdict.features[0]).toMatchObject({
      name: 'x',
      test: 'ks',
      effect_sizes: { psi: expect.any(Number) },
    });
  });

  it('prints MMD as statistic, bandwidth and p-value', async () => {
    const run = await drift(['score', 'mmd', '--data', file('shifted.csv')]);
    expectOk(run);
    expect(run.stdout).not.toMatch(/│ feature/);
    expect(run.stdout).toMatch(/^statistic +[\d.]+$/m);
    expect(run.stdout).toMatch(/^bandwidth \(sigma\) +1\.5$/m);
    expect(run.stdout).toMatch(/^p-value +[\d.e-]+$/m);
  });

  it("answers the service's errors with exit 1 and one sentence", async () => {
    expectOneSentence(
      await drift(['score', 'tab', '--data', file('fewer.csv')]),
      1,
      /^sightline: INVALID_ARGUMENT: feature "colour": missing from the batch$/m,
    );
    expectOneSentence(
      await drift(['score', 'nope', '--data', file('same.csv')]),
      1,
      /^sightline: NOT_FOUND: detector "nope": not found$/m,
    );
    await drift(['fit', 'empty', '--reference', file('nope.csv')]).then((run) => expect(run.code).toBe(2));
  });
});

describe('sightline drift list, get, attach, detach, run, events, delete', () => {
  it('lists the detectors as a table and as JSON', async () => {
    const run = await drift(['list']);
    expectOk(run);
    expect(run.stdout).toMatch(/│ mmd +│ mmd +│ fitted │ 1 +│ 3 +│ 200 +│ no +│/);
    expect(run.stdout).toMatch(/│ tab +│ tabular │ fitted │ 2 +│ 3 +│ 200 +│ no +│/);
    const json = JSON.parse((await drift(['list', '--json'])).stdout);
    expect(json.detectors.map((d: { name: string }) => d.name)).toEqual(['mmd', 'tab']);
  });

  it('attaches with a selector and a window, shows it in get, and detaches', async () => {
    const attach = await drift([
      'attach',
      'tab',
      '--model',
      'iris',
      '--version',
      '1',
      '--tensor',
      'input',
      '--columns',
      'x,y,colour',
      '--max-rows',
      '500',
      '--max-duration',
      '5m',
      '--sliding',
    ]);
    expectOk(attach);
    expect(attach.stdout).toMatch(/^detector "tab" is attached to model "iris"$/m);
    const sent = fake.requests.get('attachDetector')!.at(-1) as driftV1.AttachDetectorRequest;
    expect(sent.selector).toMatchObject({
      modelName: 'iris',
      modelVersion: '1',
      tensors: ['input'],
      columnNames: ['x', 'y', 'colour'],
    });
    expect(sent.window).toMatchObject({ maxRows: 500, maxDuration: { seconds: 300n }, mode: 2 });
    const get = await drift(['get', 'tab']);
    expectOk(get);
    expect(get.stdout).toMatch(/^attached +yes$/m);
    expect(get.stdout).toMatch(/^live window +500 rows or 5m, whichever first; sliding$/m);
    expect(get.stdout).toMatch(/│ 2 +│ TabularDrift │ 200 +│ 0{12} +│ .*ref\.csv │/);
    expectOk(await drift(['detach', 'tab']));
    expectOneSentence(
      await drift(['detach', 'tab']),
      1,
      /^sightline: FAILED_PRECONDITION: detector "tab": not attached$/m,
    );
    expectOneSentence(
      await spawnCli(['drift', 'attach', 'tab', '--max-rows', '5'], {
        SIGHTLINE_DRIFT_ADDRESS: fake.address,
      }),
      2,
      /^sightline: --model: required/,
    );
  });

  it('runs a detector over a stored time range: a table of windows, or --json', async () => {
    const run = await drift([
      'run',
      'tab',
      '--from',
      '2026-12-01T00:00:00Z',
      '--to',
      '2026-12-01T03:00:00Z',
      '--model',
      'iris',
    ]);
    expectOk(run);
    expect(run.stdout).toMatch(
      /│ 2026-12-01T00:00:00\.000Z │ 2026-12-01T00:59:59\.999Z │ 90 +│ 90 +│ no drift │/,
    );
    expect(run.stdout).toMatch(
      /│ 2026-12-01T02:00:00\.000Z │ 2026-12-01T02:59:59\.999Z │ 90 +│ 90 +│ DRIFT +│ [\d.]+ +│ x +│ 1\.00e-4 +│/,
    );
    expect(run.stdout).toMatch(/^events skipped +wrong_tensor: 2$/m);
    const json = JSON.parse(
      (await drift(['run', 'tab', '--from', '3h', '--model', 'iris', '--json'])).stdout,
    );
    expect(json.windows).toHaveLength(3);
    expect(json.progress).toMatchObject({
      events_read: 300,
      windows: 3,
      events_skipped: { wrong_tensor: 2 },
    });
    expectOneSentence(
      await drift(['run', 'tab', '--from', '2026-12-02', '--to', '2026-12-01', '--model', 'iris']),
      2,
      /^sightline: --to: must be after --from/,
    );
  });

  it('lists the stored drift events, or only those that drifted', async () => {
    const all = JSON.parse((await drift(['events', 'tab', '--json'])).stdout);
    expect(all.events).toHaveLength(6);
    const drifted = await drift(['events', '--drift-only']);
    expectOk(drifted);
    expect(drifted.stdout.match(/│ DRIFT +│/g)).toHaveLength(2);
    expect(drifted.stdout).toMatch(/│ tab +│ 2 +│ history │ iris +│/);
  });

  it('deletes a detector; then it is unknown', async () => {
    const run = await drift(['delete', 'mmd']);
    expectOk(run);
    expect(run.stdout).toBe('detector "mmd" is deleted\n');
    expectOneSentence(await drift(['get', 'mmd']), 1, /^sightline: NOT_FOUND: detector "mmd": not found$/m);
  });

  it('says the drift service cannot be reached, with exit 1', async () => {
    const run = await spawnCli(['drift', 'list', '--address', '127.0.0.1:1']);
    expectOneSentence(
      run,
      1,
      /^sightline: UNAVAILABLE: cannot reach the drift service at 127\.0\.0\.1:1 .*is it running\?/m,
    );
  });
});
