/**
 * `sightline explain global` against a real explainer, router (file event store) and
 * model-server serving two versions of `linear`, all in this process on ephemeral ports
 * (services/explainer/test/helpers/global-stack.ts); requests go through the router so the
 * events are real; the CLI runs as a subprocess.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FEATURES,
  type GlobalStack,
  startGlobalStack,
} from '../../../services/explainer/test/helpers/global-stack.js';
import { expectOk, expectOneSentence } from './helpers/cli-expect.js';
import { runCli } from './helpers/run-cli.js';

const NAMES = Array.from({ length: FEATURES }, (_, i) => `f${i}`);
const row = (seed: number) => NAMES.map((_, i) => Math.fround(((seed * 7 + i * 3) % 11) / 5 - 1));

let stack: GlobalStack;
let dir: string;
let from: string;
let to: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cli-explain-global-'));
  stack = await startGlobalStack();
  from = new Date(Date.now() - 1).toISOString();
  for (let i = 0; i < 3; i++) await stack.infer('1', [row(i), row(i + 10)]);
  for (let i = 0; i < 2; i++) await stack.infer('2', [row(i + 20)]);
  await stack.flush();
  to = new Date(Date.now() + 1).toISOString();
  const background = [0, 1, 2, 3].map((i) => row(i + 40).join(','));
  await writeFile(path.join(dir, 'background.csv'), `${NAMES.join(',')}\n${background.join('\n')}\n`);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const global = (args: string[]) =>
  runCli(['explain', 'global', ...args], {
    SIGHTLINE_EXPLAINER_ADDRESS: stack.explainer.grpcAddress,
    SIGHTLINE_MODEL_SERVER_ADDRESS: stack.modelServer.grpcAddress,
  });
const range = () => ['--from', from, '--to', to];
const background = () => ['--background', path.join(dir, 'background.csv')];

describe('sightline explain global', () => {
  it('prints mean |attribution| per feature per version as JSON', async () => {
    const run = await global(['linear', ...range(), ...background(), '--json']);
    expectOk(run);
    const document = JSON.parse(run.stdout);
    expect(document).toMatchObject({ state: 'succeeded', complete: true, events_matched: 5 });
    expect(
      document.groups.map((g: { model_version: string; rows: number }) => [g.model_version, g.rows]),
    ).toEqual([
      ['1', 6],
      ['2', 2],
    ]);
    const features = document.groups[0].outputs[0].features;
    expect(features.map((f: { feature: string }) => f.feature)).toEqual(NAMES);
    for (const f of features) expect(f.mean_abs).toBeGreaterThanOrEqual(Math.abs(f.mean) - 1e-12);
  });

  it('charts each version, with the run summed up, for a person', async () => {
    const run = await global(['--model', 'linear', ...range(), ...background(), '--version', '2']);
    expectOk(run);
    expect(run.stdout).toContain('linear version 2, output 0 · 2 rows · mean |attribution|');
    expect(run.stdout).not.toContain('version 1');
    expect(run.stdout).toMatch(/events matched\s+2/);
    expect(run.stdout).toMatch(/rows explained\s+2/);
  });

  // The range is fixed text: the stack's own times are not known while the cases are listed.
  it.each([
    [['linear', '--from', '1h', '--to', 'now'], /--background: Kernel SHAP needs background rows/],
    [['--from', '1h', '--to', 'now', '--background', 'x.csv'], /name the model/],
    [
      ['linear', '--max-rows', '0', '--from', '1h', '--background', 'x.csv'],
      /--max-rows: expected a whole number from 1 to 100000/,
    ],
  ])('refuses %j as a usage error (exit 2)', async (args, message) => {
    expectOneSentence(await global(args), 2, message);
  });

  it("tells the explainer's refusal in one sentence (exit 1): gradients of an ONNX model", async () => {
    const run = await global(['linear', ...range(), '--method', 'integrated-gradients']);
    expectOneSentence(run, 1, /has no gradients; use kernel_shap or occlusion/);
  });
});
