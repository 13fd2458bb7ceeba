/**
 * Every service command as a user runs it against a real model-server (examples/models) and
 * router (examples/graphs) on ephemeral ports, its table and --json output checked, and its
 * exit code: 0 done, 1 a service's error, 2 a usage error, with one sentence and no stack
 * trace. The CLI runs in the test's process; standard input and a few exit codes go through
 * the built CLI as a subprocess, as a shell sees them.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOk, expectOneSentence } from './helpers/cli-expect.js';
import { runCli, spawnCli } from './helpers/run-cli.js';
import { REPO_ROOT, type RunningService, startService } from './helpers/services.js';

let modelServer: RunningService;
let router: RunningService;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cli-commands-'));
  modelServer = await startService('model-server', ['--repository', 'examples/models']);
  router = await startService(
    'router',
    [
      '--graphs',
      'examples/graphs',
      '--data-dir',
      path.join(dir, 'router'),
      '--default-model-server',
      modelServer.address,
    ],
    {
      MODEL_SERVER_ADDRESS: modelServer.address,
    },
  );
}, 120_000);

afterAll(async () => {
  await router?.stop();
  await modelServer?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const ROW_1 = '[[5.1,3.5,1.4,0.2]]';

/** Runs against the test's router. */
const viaRouter = (args: string[]) => runCli(args, { SIGHTLINE_ROUTER_ADDRESS: router.address });
/** Runs the built CLI as a subprocess against the test's router, `input` its standard input. */
const spawnViaRouter = (args: string[], input?: string) =>
  spawnCli(args, { SIGHTLINE_ROUTER_ADDRESS: router.address }, input);
/** A file of the repository, by its absolute path (the CLI runs in the test's working directory). */
const repoFile = (name: string) => path.join(REPO_ROOT, name);
/** Runs against the test's model-server. */
const viaModelServer = (args: string[]) =>
  runCli(args, { SIGHTLINE_MODEL_SERVER_ADDRESS: modelServer.address });

describe('sightline infer', () => {
  it('prints the outputs and the answer parameters, the trace id among them, as tables', async () => {
    const run = await viaRouter(['infer', 'iris', '--input', ROW_1, '--id', 'cli-1']);
    expectOk(run);
    expect(run.stdout).toMatch(/^model +iris$/m);
    expect(run.stdout).toMatch(/^id +cli-1$/m);
    expect(run.stdout).toMatch(/│ sightline\.trace_id +│ [0-9a-f]{32} +│/);
    expect(run.stdout).toMatch(/│ probabilities │ FP32 +│ \[1, 3\] │ \[0\.98\d*, /);
    expect(run.stdout).not.toContain('\u001b[');
  });

  it('prints one JSON document with --json', async () => {
    const run = await viaRouter(['infer', 'iris', '--input', ROW_1, '--json']);
    expectOk(run);
    const answer = JSON.parse(run.stdout);
    expect(answer).toMatchObject({
      model_name: 'iris',
      outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [1, 3] }],
    });
    expect(answer.parameters['sightline.trace_id']).toMatch(/^[0-9a-f]{32}$/);
    expect(answer.outputs[0].data).toHaveLength(3);
  });

  it('steers a switch graph by --header and by --parameter', async () => {
    const byHeader = JSON.parse(
      (
        await viaRouter([
          'infer',
          'iris-switch',
          '--input',
          ROW_1,
          '--header',
          'x-iris-runtime=tfjs',
          '--json',
        ])
      ).stdout,
    );
    expect(byHeader.parameters['sightline.path']).toContain('tfjs');
    const byParameter = JSON.parse(
      (await viaRouter(['infer', 'iris-switch', '--input', ROW_1, '--parameter', 'runtime=tfjs', '--json']))
        .stdout,
    );
    expect(byParameter.parameters['sightline.path']).toContain('tfjs');
    const plain = JSON.parse((await viaRouter(['infer', 'iris-switch', '--input', ROW_1, '--json'])).stdout);
    expect(plain.parameters['sightline.path']).not.toContain('tfjs');
  });

  it('reads CSV, NPY and V2 JSON input files', async () => {
    const csv = await viaModelServer([
      'infer',
      'iris',
      '--address',
      modelServer.address,
      '--json',
      '--input-file',
      repoFile('examples/data/iris.csv'),
      '--csv-columns',
      'sepal_length,sepal_width,petal_length,petal_width',
      '--max-input-bytes',
      '100000',
    ]);
    // 150 rows is over the model's max batch size: the model-server's sentence, exit 1.
    expectOneSentence(
      csv,
      1,
      /^sightline: INVALID_ARGUMENT: input "input": batch size must be between 1 and max_batch_size 64, got 150\n$/,
    );

    const batched = await viaModelServer([
      'infer',
      'iris',
      '--address',
      modelServer.address,
      '--json',
      '--batch-size',
      '64',
      '--input-file',
      repoFile('examples/data/iris.csv'),
      '--csv-columns',
      'sepal_length,sepal_width,petal_length,petal_width',
    ]);
    expectOk(batched);
    const merged = JSON.parse(batched.stdout);
    expect(merged.outputs[0].shape).toEqual([150, 3]);
    expect(merged.batches.map((b: { rows: number }) => b.rows)).toEqual([64, 64, 22]);

    const rows = path.join(dir, 'rows.csv');
    await writeFile(rows, 'a,b,c,d,label\n5.1,3.5,1.4,0.2,0\n6.7,3.0,5.2,2.3,2\n');
    const fromCsv = await viaRouter([
      'infer',
      'iris',
      '--input-file',
      rows,
      '--csv-columns',
      'a,b,c,d',
      '--json',
    ]);
    expectOk(fromCsv);
    expect(JSON.parse(fromCsv.stdout).outputs[0].shape).toEqual([2, 3]);

    const fromNpy = await viaRouter([
      'infer',
      'iris',
      '--input-file',
      repoFile('tools/cli/test/fixtures/npy/f4-be-2x3.npy'),
      '--json',
    ]);
    // A [2, 3] tensor for a [-1, 4] input: the server names the rule.
    expectOneSentence(fromNpy, 1, /^sightline: INVALID_ARGUMENT: .*input/);

    const v2 = path.join(dir, 'request.json');
    await writeFile(
      v2,
      JSON.stringify({
        inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [5.1, 3.5, 1.4, 0.2] }],
      }),
    );
    const fromJson = await viaRouter(['infer', 'iris', '--input-file', v2, '--json']);
    expectOk(fromJson);
    expect(JSON.parse(fromJson.stdout).outputs[0].shape).toEqual([1, 3]);

    const fromStdin = await spawnViaRouter(
      ['infer', 'iris', '--input-file', '-', '--input-format', 'csv', '--json'],
      '5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3\n',
    );
    expectOk(fromStdin);
    expect(JSON.parse(fromStdin.stdout).outputs[0].shape).toEqual([2, 3]);
  });

  it('exits 1 with the server sentence for an unknown model', async () => {
    expectOneSentence(
      await viaModelServer(['infer', 'nosuch', '--address', modelServer.address, '--input', ROW_1]),
      1,
      /^sightline: NOT_FOUND: model "nosuch" not found\n$/,
    );
    expectOneSentence(
      await viaRouter(['infer', 'nosuch', '--input', ROW_1, '--json']),
      1,
      /^sightline: NOT_FOUND: .*"nosuch"/,
    );
  });

  it('exits 1 for a service that is not there', async () => {
    expectOneSentence(
      await spawnCli(['infer', 'iris', '--input', ROW_1, '--address', '127.0.0.1:1', '--timeout', '2s']),
      1,
      /^sightline: (UNAVAILABLE|DEADLINE_EXCEEDED): /,
    );
  });

  it('exits 2 naming the flag for a bad flag, an unreadable file, a bad k=v', async () => {
    expectOneSentence(
      await spawnViaRouter(['infer', 'iris', '--bogus']),
      2,
      /^sightline: unknown option '--bogus'/,
    );
    expectOneSentence(
      await viaRouter(['infer', 'iris', '--input-file', path.join(dir, 'missing.npy')]),
      2,
      /^sightline: --input-file .*missing\.npy: cannot read the file \(no such file\)\n$/,
    );
    expectOneSentence(
      await viaRouter(['infer', 'iris', '--input', ROW_1, '--parameter', 'novalue']),
      2,
      /^sightline: --parameter: expected key=value, got "novalue"\n$/,
    );
    expectOneSentence(
      await viaRouter(['infer', 'iris', '--input', ROW_1, '--header', '=x']),
      2,
      /^sightline: --header: expected key=value/,
    );
    expectOneSentence(
      await viaRouter(['infer', 'iris', '--input', '[[1,2],[3]]']),
      2,
      /^sightline: --input: data\[1\] has 1 elements/,
    );
    expectOneSentence(
      await viaRouter(['infer', 'iris', '--input', ROW_1, '--timeout', 'soon']),
      2,
      /^sightline: --timeout: expected a duration/,
    );
    expectOneSentence(
      await viaRouter(['infer', 'iris', '--input', ROW_1, '--address', 'nohost']),
      2,
      /^sightline: --address: expected host:port/,
    );
  });
});

describe('sightline models', () => {
  it('lists the repository as a table, and as one JSON document', async () => {
    const table = await viaModelServer(['models', 'list']);
    expectOk(table);
    expect(table.stdout).toMatch(/│ iris +│ 1 +│ READY +│/);
    const json = await viaModelServer(['models', '--json']);
    expectOk(json);
    expect(JSON.parse(json.stdout).models).toEqual(
      expect.arrayContaining([{ name: 'iris', version: '1', state: 'READY', reason: '' }]),
    );
  });

  it('gets a model version: its signature, and that it records no lineage', async () => {
    const shown = await viaModelServer(['models', 'get', 'iris']);
    expectOk(shown);
    expect(shown.stdout).toMatch(/inputs\s+input FP32 \[-1, 4\]/);
    expect(shown.stdout).toContain('lineage: none recorded');
    const json = await viaModelServer(['models', 'get', 'iris', '--json']);
    expectOk(json);
    expect(JSON.parse(json.stdout)).toMatchObject({ name: 'iris', versions: ['1'], parameters: {} });
  });
});

describe('sightline models load, unload and stats', () => {
  it('unloads and loads a model, the list showing each state', async () => {
    const unloaded = await viaModelServer(['models', 'unload', 'convnet', '--json']);
    expectOk(unloaded);
    expect(JSON.parse(unloaded.stdout)).toEqual({ model: 'convnet', state: 'UNLOADED' });
    expect((await viaModelServer(['models', 'list'])).stdout).toMatch(/│ convnet +│ 1 +│ UNAVAILABLE +│/);

    const loaded = await viaModelServer(['models', 'load', 'convnet']);
    expectOk(loaded);
    expect(loaded.stdout).toMatch(/^model "convnet" is loaded and ready \(\d+ ms\)\n$/);
    const ready = JSON.parse((await viaModelServer(['models', 'list', '--ready', '--json'])).stdout);
    expect(ready.models.map((m: { name: string }) => m.name)).toContain('convnet');
  });

  it('exits 1 for a model the repository lacks', async () => {
    expectOneSentence(
      await viaModelServer(['models', 'load', 'nosuch']),
      1,
      /^sightline: NOT_FOUND: model "nosuch" not found in the repository\n$/,
    );
  });

  it('prints statistics per model as a table and as JSON', async () => {
    expectOk(await viaModelServer(['infer', 'iris', '--address', modelServer.address, '--input', ROW_1]));
    const table = await viaModelServer(['models', 'stats']);
    expectOk(table);
    expect(table.stdout).toMatch(
      /│ model +│ version +│ inferences +│ executions +│ failures +│ mean queue ms +│ mean compute ms +│ batch sizes +│/,
    );
    const json = JSON.parse((await viaModelServer(['models', 'stats', 'iris', '--json'])).stdout);
    expect(json.models).toHaveLength(1);
    expect(json.models[0]).toMatchObject({ name: 'iris', version: '1' });
    expect(json.models[0].inference_count).toBeGreaterThanOrEqual(1);
    expect(json.models[0].last_inference).toMatch(/^\d{4}-\d\d-\d\dT/);
  });
});

describe('sightline graphs', () => {
  const GRAPH =
    'name: cli-graph\ndescription: made by the CLI test\nroot: m\nnodes:\n  - name: m\n    model: { modelName: iris }\n';

  it('lists and gets the stored graphs', async () => {
    const list = await viaRouter(['graphs', 'list']);
    expectOk(list);
    expect(list.stdout).toMatch(/│ iris-switch +│ 1 +│ by-runtime +│ 3 +│/);
    const names = JSON.parse((await viaRouter(['graphs', '--json'])).stdout).graphs.map(
      (g: { graph: { name: string } }) => g.graph.name,
    );
    expect(names).toEqual(['iris', 'iris-ensemble', 'iris-sequence', 'iris-switch']);

    const get = await viaRouter(['graphs', 'get', 'iris-ensemble']);
    expectOk(get);
    expect(get.stdout).toMatch(/^root +vote$/m);
    expect(get.stdout).toMatch(/│ vote +│ ensemble │ onnx \+ tfjs +│/);
    const json = JSON.parse((await viaRouter(['graphs', 'get', 'iris-ensemble', '--json'])).stdout);
    expect(json.graph.graph.root).toBe('vote');
    expect(json.graph.generation).toBe('1');
    // The JSON form reads back: the fetched spec applies under another name.
    const copy = path.join(dir, 'copy.json');
    await writeFile(copy, JSON.stringify({ ...json.graph.graph, name: 'ensemble-copy' }));
    const applied = JSON.parse((await viaRouter(['graphs', 'apply', copy, '--json'])).stdout);
    expect(applied).toMatchObject({
      created: true,
      graph: { graph: { name: 'ensemble-copy', root: 'vote' } },
    });
    expectOk(await viaRouter(['graphs', 'delete', 'ensemble-copy']));
    expectOneSentence(
      await viaRouter(['graphs', 'get', 'nosuch']),
      1,
      /^sightline: NOT_FOUND: graph "nosuch" not found\n$/,
    );
  });

  it('validates, applies, runs and deletes a graph from a file', async () => {
    const file = path.join(dir, 'cli-graph.yaml');
    await writeFile(file, GRAPH);
    const valid = await viaRouter(['graphs', 'validate', file, '--json']);
    expectOk(valid);
    expect(JSON.parse(valid.stdout)).toEqual({ file, valid: true, problems: [] });
    const fromStdin = await spawnViaRouter(['graphs', 'validate', '-', '--json'], GRAPH);
    expectOk(fromStdin);
    expect(JSON.parse(fromStdin.stdout)).toEqual({ file: '-', valid: true, problems: [] });

    const applied = await viaRouter(['graphs', 'apply', file]);
    expectOk(applied);
    expect(applied.stdout).toMatch(/^applied +created$/m);
    const again = JSON.parse((await viaRouter(['graphs', 'apply', file, '--json'])).stdout);
    expect(again).toMatchObject({ created: false, graph: { generation: '2', graph: { name: 'cli-graph' } } });

    const answer = JSON.parse((await viaRouter(['infer', 'cli-graph', '--input', ROW_1, '--json'])).stdout);
    expect(answer.outputs[0].shape).toEqual([1, 3]);

    const deleted = await viaRouter(['graphs', 'delete', 'cli-graph']);
    expectOk(deleted);
    expect(deleted.stdout).toBe('graph "cli-graph" is deleted\n');
    expectOneSentence(
      await viaRouter(['graphs', 'delete', 'cli-graph']),
      1,
      /^sightline: NOT_FOUND: graph "cli-graph" not found\n$/,
    );
  });

  it('exits 2 for an invalid graph file, printing its problems; apply leaves it to the router (1)', async () => {
    const file = path.join(dir, 'bad.yaml');
    await writeFile(file, 'name: bad\nroot: x\nnodes: []\n');
    const invalid = await viaRouter(['graphs', 'validate', file]);
    expectOneSentence(invalid, 2, /^sightline: .*bad\.yaml: the graph is not valid \(1 error\)\n$/);
    expect(invalid.stdout).toMatch(
      /│ error +│ +│ root +│ root\.exists │ root "x" is not a node of the graph │/,
    );
    expectOneSentence(
      await viaRouter(['graphs', 'apply', file]),
      1,
      /^sightline: INVALID_ARGUMENT: graph "bad" is invalid \(1 problem\)/,
    );
    expectOneSentence(
      await viaRouter(['graphs', 'apply', path.join(dir, 'none.yaml')]),
      2,
      /^sightline: .*none\.yaml: cannot read the graph file \(no such file\)\n$/,
    );
  });
});
