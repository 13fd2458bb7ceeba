/**
 * Rebuilds every example into a temp dir and compares it with the committed bytes, so a
 * change to the build (or a committed file edited by hand) cannot go unnoticed. Needs Debian's
 * python3 with onnx, sklearn and numpy; where they are missing the test says so and is skipped.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { buildExamples, EXAMPLE_PARTS } from '../src/build-examples.js';
import { exampleLayout } from '../src/example-layout.js';
import { EXAMPLE_MODEL_CONFIGS, SHAP_MODELS } from '../src/example-models.js';
import { IRIS_FEATURE_COUNT, parseIrisCsv } from '../src/iris-csv.js';
import { DEFAULT_PYTHON, pythonOnnxBuilder } from '../src/onnx-builder.js';
import { SHAPE_SAMPLES } from '../src/shapes/shape-samples.js';
import { SHAPE_CLASSES } from '../src/shapes/shapes-generator.js';
import { TFJS_MODEL_JSON, TFJS_WEIGHTS_BIN } from '../src/tfjs-model-files.js';

const python = process.env.SIGHTLINE_PYTHON ?? DEFAULT_PYTHON;
const committed = exampleLayout(fileURLToPath(new URL('../../../', import.meta.url)));

function pythonMissingReason(): string | undefined {
  try {
    execFileSync(python, ['-c', 'import onnx, sklearn, numpy'], { stdio: 'pipe' });
    return undefined;
  } catch (error) {
    return `${python} cannot import onnx, sklearn and numpy (${(error as Error).message.split('\n')[0]})`;
  }
}

const missing = pythonMissingReason();
if (missing !== undefined) {
  console.warn(
    `rebuild test skipped: ${missing}; install python3-onnx python3-sklearn python3-numpy to run it`,
  );
}

/** Every generated file, relative to examples/. */
function generatedFiles(root: string): string[] {
  const layout = exampleLayout(root);
  return [
    layout.irisCsv,
    join(layout.versionDir('iris'), 'model.onnx'),
    join(layout.versionDir('iris-v2'), 'model.onnx'),
    join(layout.versionDir('convnet'), 'model.onnx'),
    join(layout.versionDir('iris-tfjs'), TFJS_MODEL_JSON),
    join(layout.versionDir('iris-tfjs'), TFJS_WEIGHTS_BIN),
    ...SHAP_MODELS.map((model) => join(layout.versionDir(`shap-${model}`), 'model.onnx')),
    ...SHAPE_CLASSES.flatMap((shape) =>
      Array.from({ length: SHAPE_SAMPLES.perClass }, (_, i) =>
        join(layout.shapesDir, `${shape}-${i + 1}.png`),
      ),
    ),
    ...Object.keys(EXAMPLE_MODEL_CONFIGS).map((name) => layout.configFile(name)),
  ].map((file) => relative(root, file));
}

/** Largest difference in a probability allowed between two builds of the iris model. */
const IRIS_REBUILD_TOLERANCE = 1e-5;

async function expectSameIrisPredictions(builtPath: string, committedPath: string): Promise<void> {
  const data = parseIrisCsv(await readFile(committed.irisCsv, 'utf8'));
  const predict = async (path: string) => {
    const session = await ort.InferenceSession.create(path);
    const input = new ort.Tensor('float32', data.features, [data.rowCount, IRIS_FEATURE_COUNT]);
    const { probabilities } = await session.run({ input });
    await session.release();
    return probabilities!.data as Float32Array;
  };
  const [built, inGit] = [await predict(builtPath), await predict(committedPath)];
  const worst = built.reduce((max, p, i) => Math.max(max, Math.abs(p - inGit[i]!)), 0);
  expect(
    worst,
    'iris model.onnx predicts differently from the committed copy; run `npm run models`',
  ).toBeLessThan(IRIS_REBUILD_TOLERANCE);
}

describe('npm run models', () => {
  let dir: string | undefined;
  afterAll(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it.runIf(missing === undefined)(
    'rebuilds every committed example but the shapes CNN byte for byte (the trained iris weights to within float noise)',
    async () => {
      dir = await mkdtemp(join(tmpdir(), 'sightline-models-'));
      // Every part but the shapes CNN's training, which takes several CPU minutes on TF.js's
      // cpu backend (test/committed-artifacts.test.ts checks the committed model instead).
      const parts = EXAMPLE_PARTS.filter((part) => part !== 'shapes');
      await buildExamples({ root: dir, onnx: pythonOnnxBuilder(python), parts });
      const irisOnnx = ['iris', 'iris-v2'].map((model) =>
        relative(committed.root, join(committed.versionDir(model), 'model.onnx')),
      );
      for (const file of generatedFiles(committed.root)) {
        const [built, inGit] = await Promise.all([
          readFile(join(dir, file)),
          readFile(join(committed.root, file)),
        ]);
        if (irisOnnx.includes(file) && !built.equals(inGit)) {
          // scikit-learn's solver goes through the machine's BLAS, whose kernels (picked per
          // CPU) may round the last bits differently: same model, slightly different floats.
          await expectSameIrisPredictions(join(dir, file), join(committed.root, file));
          continue;
        }
        expect(built.equals(inGit), `${file} differs from the committed copy; run \`npm run models\``).toBe(
          true,
        );
      }
    },
    60_000,
  );
});
