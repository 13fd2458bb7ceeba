/**
 * `sightline explain` against a real explainer and a real model-server (examples/models), both
 * started in this process on 127.0.0.1 ephemeral ports; the CLI runs as a subprocess.
 *
 * Two explainers: one with the explainer's test stand-in under the `kernelShap` key (leave one
 * feature out: feature i takes the background's mean, its attribution is the score's drop),
 * which drives the whole path (CSV → tensors → explainer → model-server → view) whatever methods
 * are merged, checked against the model-server's own answers; and one with the built-in
 * methods, whose Kernel SHAP, Anchors and occlusion tests run once those methods are
 * registered (services/explainer/src/contract/method-entries.ts) and are skipped until then.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type ExplainerHandle, explainerConfigSchema, startExplainer } from '@sightline/explainer';
import { type ModelServerHandle, modelServerConfigSchema, startModelServer } from '@sightline/model-server';
import { Sightline } from '@sightline/sdk';
import { loadConfig } from '@sightline/service-kit';
import { silentLogger } from '@sightline/service-kit/testing';
import { createTensor } from '@sightline/tensor';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtInMethods } from '../../../services/explainer/src/contract/method-entries.js';
import { TEST_METHODS } from '../../../services/explainer/test/helpers/explainer-stack.js';
import { expectOk, expectOneSentence } from './helpers/cli-expect.js';
import { runCli } from './helpers/run-cli.js';
import { REPO_ROOT } from './helpers/services.js';

const REPOSITORY = path.join(REPO_ROOT, 'examples/models');
const FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
const BUILT_IN = builtInMethods();

let modelServer: ModelServerHandle;
let standIn: ExplainerHandle;
let builtIn: ExplainerHandle;
let dir: string;
let iris: number[][];

async function explainerOn(methods?: typeof BUILT_IN): Promise<ExplainerHandle> {
  const config = loadConfig(explainerConfigSchema, {
    flags: {
      host: '127.0.0.1',
      grpcPort: '0',
      httpPort: '0',
      modelServer: modelServer.grpcAddress,
      router: '127.0.0.1:1',
      repository: REPOSITORY,
      logLevel: 'silent',
    },
  });
  return startExplainer(config, { logger: silentLogger(), ...(methods ? { methods } : {}) });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cli-explain-'));
  modelServer = await startModelServer(
    loadConfig(modelServerConfigSchema, {
      flags: { host: '127.0.0.1', grpcPort: '0', httpPort: '0', repository: REPOSITORY, logLevel: 'silent' },
    }),
    { logger: silentLogger() },
  );
  standIn = await explainerOn(TEST_METHODS);
  builtIn = await explainerOn();
  const text = await readFile(path.join(REPO_ROOT, 'examples/data/iris.csv'), 'utf8');
  const lines = text.trim().split('\n');
  iris = lines.slice(1).map((line) => line.split(',').map(Number));
  // Rows 0 (setosa), 60 (versicolor), 120 (virginica) explained; 20 rows of background.
  const rows = (indices: number[]) => `${lines[0]}\n${indices.map((i) => lines[i + 1]).join('\n')}\n`;
  await writeFile(path.join(dir, 'rows.csv'), rows([0, 60, 120]));
  await writeFile(path.join(dir, 'background.csv'), rows(Array.from({ length: 20 }, (_, i) => i * 7)));
  // A 64 × 64 image: dark, with a bright square (the convnet's input is [3, 64, 64]).
  const png = new PNG({ width: 64, height: 64 });
  for (let y = 0; y < 64; y++)
    for (let x = 0; x < 64; x++) {
      const bright = x >= 20 && x < 44 && y >= 20 && y < 44;
      png.data.set([bright ? 230 : 20, bright ? 200 : 30, bright ? 40 : 60, 255], (y * 64 + x) * 4);
    }
  await writeFile(path.join(dir, 'square.png'), PNG.sync.write(png));
}, 120_000);

afterAll(async () => {
  await standIn?.stop();
  await builtIn?.stop();
  await modelServer?.shutdown('test over');
  if (dir) await rm(dir, { recursive: true, force: true });
});

const file = (name: string) => path.join(dir, name);
const explain = (explainer: ExplainerHandle, args: string[]) =>
  runCli(['explain', ...args], {
    SIGHTLINE_EXPLAINER_ADDRESS: explainer.grpcAddress,
    SIGHTLINE_MODEL_SERVER_ADDRESS: modelServer.grpcAddress,
  });
const irisArgs = (method: string) => [
  '--model',
  'iris',
  '--method',
  method,
  '--instances',
  file('rows.csv'),
  '--background',
  file('background.csv'),
  '--columns',
  FEATURES.join(','),
];

/** The iris model's scores for rows, from the model-server itself. */
async function scores(rows: number[][]): Promise<number[][]> {
  const sdk = new Sightline({ address: modelServer.grpcAddress });
  try {
    const answer = await sdk.inference.infer('iris', [
      createTensor('input', 'FP32', [rows.length, 4], Float32Array.from(rows.flat())),
    ]);
    const values = Array.from(answer.outputs[0]!.toTensor().data as Float32Array);
    return rows.map((_, r) => values.slice(r * 3, r * 3 + 3));
  } finally {
    sdk.close();
  }
}

describe('sightline explain through the stand-in method', () => {
  it('maps CSV columns to the model input and prints JSON attributions equal to the model-server’s drops', async () => {
    const run = await explain(standIn, [...irisArgs('kernel-shap'), '--json']);
    expectOk(run);
    const json = JSON.parse(run.stdout);
    expect(json.meta.feature_names).toEqual(FEATURES);
    expect(json.meta.model).toBe('iris');
    expect(json.explanations).toHaveLength(3);
    const background = Array.from({ length: 20 }, (_, i) => iris[i * 7]!.slice(0, 4));
    const mean = FEATURES.map(
      (_, j) => background.reduce((sum, row) => sum + row[j]!, 0) / background.length,
    );
    for (const [r, irisRow] of [0, 60, 120].entries()) {
      const x = iris[irisRow]!.slice(0, 4);
      const replaced = FEATURES.map((_, i) => x.map((v, j) => (j === i ? mean[j]! : v)));
      const [fx, ...fi] = await scores([x, ...replaced]);
      const row = json.explanations[r];
      expect(row.row).toBe(r);
      expect(row.complete).toBe(true);
      for (const output of row.outputs) {
        expect(output.prediction).toBeCloseTo(fx![output.target_index]!, 5);
        expect(output.attributions.map((a: { feature: string }) => a.feature)).toEqual(FEATURES);
        output.attributions.forEach((a: { value: number }, i: number) => {
          expect(a.value).toBeCloseTo(fx![output.target_index]! - fi[i]![output.target_index]!, 5);
        });
        expect(output).toHaveProperty('expected_value');
        expect(output).toHaveProperty('additivity_error');
      }
    }
    expect(json.usage.model_calls).toBeGreaterThan(0);
  }, 60_000);

  it('prints each row as a bar chart sorted by |attribution|, with prediction and expected value', async () => {
    const run = await explain(standIn, irisArgs('kernel-shap'));
    expectOk(run);
    expect(run.stdout).toMatch(/^row 2, output 2 · prediction [\d.]+ · expected value/m);
    expect(run.stdout).toMatch(/^petal_\w+ = [\d.]+ +[+-][\d.e-]+ +[ █]*│[ █]*$/m);
    expect(run.stdout).toMatch(/^model calls +\d+$/m);
  }, 60_000);

  it('runs as a job with --job and answers what the synchronous call answers', async () => {
    const sync = JSON.parse((await explain(standIn, [...irisArgs('kernel-shap'), '--json'])).stdout);
    const run = await explain(standIn, [...irisArgs('kernel-shap'), '--json', '--job']);
    expectOk(run);
    const job = JSON.parse(run.stdout);
    expect(job.explanations).toEqual(sync.explanations);
    expect(job.usage.complete).toBe(true);
  }, 60_000);

  it('refuses what it cannot map, in one sentence', async () => {
    const noColumns = await explain(standIn, [
      '--model',
      'iris',
      '--method',
      'kernel-shap',
      '--instances',
      file('rows.csv'),
    ]);
    expectOneSentence(
      noColumns,
      2,
      /5 columns .* but model "iris" takes 4 features per row \(input \[4\]\); pick them with --columns/,
    );
    const unknown = await explain(standIn, [
      '--model',
      'nope',
      '--method',
      'kernel-shap',
      '--instances',
      file('rows.csv'),
    ]);
    expectOneSentence(unknown, 1, /NOT_FOUND.*nope/);
    const imageForShap = await explain(standIn, [
      '--model',
      'iris',
      '--method',
      'kernel-shap',
      '--image',
      file('square.png'),
    ]);
    expectOneSentence(imageForShap, 2, /--image: only for --method integrated-gradients or occlusion/);
    const noMetadata = await explain(standIn, [
      ...irisArgs('kernel-shap'),
      '--metadata-address',
      '127.0.0.1:1',
    ]);
    expectOneSentence(noMetadata, 1, /cannot reach the model-server at 127\.0\.0\.1:1/);
    const noMethod = await explain(standIn, ['--model', 'iris', '--instances', file('rows.csv')]);
    expectOneSentence(noMethod, 2, /explain: choose --method kernel-shap\|anchors/);
    // A file past --max-input-bytes is refused by its size, before it is read whole.
    const tooBig = await explain(standIn, [...irisArgs('kernel-shap'), '--max-input-bytes', '64']);
    expectOneSentence(
      tooBig,
      2,
      /sightline: --instances \S+rows\.csv: \d+ bytes is over the 64-byte limit \(--max-input-bytes\)/,
    );
  }, 60_000);
});

describe.skipIf(!BUILT_IN.has('kernelShap'))('sightline explain --method kernel-shap (built in)', () => {
  it('answers exact Shapley values on iris (4 features: every coalition) that add up', async () => {
    const run = await explain(builtIn, [...irisArgs('kernel-shap'), '--json']);
    expectOk(run);
    const json = JSON.parse(run.stdout);
    expect(json.meta.name).toBe('KernelShap');
    for (const row of json.explanations) {
      expect(row.outputs).toHaveLength(3);
      for (const output of row.outputs) {
        expect(output.exact).toBe(true);
        const sum = output.attributions.reduce((s: number, a: { value: number }) => s + a.value, 0);
        expect(sum).toBeCloseTo(output.prediction - output.expected_value, 6);
        expect(Math.abs(output.additivity_error)).toBeLessThan(1e-6);
      }
    }
  }, 60_000);
});

describe.skipIf(!BUILT_IN.has('anchors'))('sightline explain --method anchors (built in)', () => {
  it('prints each row’s rule with its precision and coverage', async () => {
    const run = await explain(builtIn, [...irisArgs('anchors'), '--json']);
    expectOk(run);
    for (const row of JSON.parse(run.stdout).explanations) {
      expect(row.anchor.rule).toMatch(/^IF .+ THEN PREDICT \S+$/);
      expect(row.anchor.precision).toBeGreaterThan(0);
      expect(row.anchor.coverage).toBeGreaterThan(0);
    }
    const human = await explain(builtIn, irisArgs('anchors'));
    expectOk(human);
    expect(human.stdout).toMatch(/^anchor +IF .+ THEN PREDICT/m);
  }, 120_000);
});

describe.skipIf(!BUILT_IN.has('occlusion'))('sightline explain --method occlusion (built in)', () => {
  it('writes the heatmap over the image as a PNG of the upscaled size', async () => {
    const out = file('heatmap.png');
    const run = await explain(builtIn, [
      '--model',
      'convnet',
      '--method',
      'occlusion',
      '--image',
      file('square.png'),
      '--out',
      out,
      '--json',
    ]);
    expectOk(run);
    const json = JSON.parse(run.stdout);
    expect(json.heatmap_png).toBe(out);
    expect(json.explanations[0].outputs[0].heatmap).toMatchObject({ height: 64, width: 64 });
    const png = PNG.sync.read(await readFile(out));
    // 64 × 64 enlarged by 4 to reach 256 pixels a side.
    expect([png.width, png.height]).toEqual([256, 256]);
  }, 120_000);
});
