import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exampleLayout } from './example-layout.js';
import {
  CONVNET_ARCHITECTURE,
  EXAMPLE_MODEL_CONFIGS,
  IRIS_V2_TRAINING,
  SHAP_MODELS,
} from './example-models.js';
import { parseIrisCsv } from './iris-csv.js';
import { renderConfigYaml } from './model-config.js';
import type { OnnxBuildStep } from './onnx-builder.js';
import { writeShapeSamples } from './shapes/shape-samples.js';
import { trainShapesCnn } from './shapes/shapes-cnn.js';
import { trainIrisTfjs } from './tfjs-iris.js';
import { tfjsDirSaveHandler } from './tfjs-model-files.js';

/** The parts of the examples that can be built on their own. */
export type ExamplePart =
  | 'data'
  | 'iris'
  | 'iris-v2'
  | 'convnet'
  | 'iris-tfjs'
  | 'shap'
  | 'shapes-data'
  | 'shapes'
  | 'configs';

/** Every part, in the order they depend on each other (the models read the data). */
export const EXAMPLE_PARTS: readonly ExamplePart[] = [
  'data',
  'iris',
  'iris-v2',
  'convnet',
  'iris-tfjs',
  'shap',
  'shapes-data',
  'shapes',
  'configs',
];

/** What {@link buildExamples} builds and with what. */
export interface BuildExamplesOptions {
  /** The repository root (or a temp dir) under which examples/ is written. */
  readonly root: string;
  /** Runs build_onnx_models.py steps (see pythonOnnxBuilder). */
  readonly onnx: OnnxBuildStep;
  /** The parts to build; all by default. */
  readonly parts?: readonly ExamplePart[];
  /** Progress lines go here. */
  readonly log?: (line: string) => void;
}

/**
 * Builds the example data and models under `<root>/examples`: iris.csv, the iris and convnet
 * ONNX models, the iris-tfjs layers model, the Kernel SHAP fidelity models (shap-linear,
 * shap-interaction, shap-threshold), the shapes images and CNN, and every config.yaml. Each
 * step is deterministic.
 */
export async function buildExamples(options: BuildExamplesOptions): Promise<void> {
  const layout = exampleLayout(options.root);
  const parts = new Set(options.parts ?? EXAMPLE_PARTS);
  const log = options.log ?? (() => {});
  const onnx = async (args: readonly string[]) => log((await options.onnx(args)).trim());

  if (parts.has('data')) await onnx(['iris-csv', '--out', layout.irisCsv]);
  if (parts.has('iris')) {
    await onnx([
      'iris-onnx',
      '--data',
      layout.irisCsv,
      '--out',
      join(layout.versionDir('iris'), 'model.onnx'),
    ]);
  }
  if (parts.has('iris-v2')) {
    const t = IRIS_V2_TRAINING;
    await onnx([
      'iris-onnx',
      '--data',
      layout.irisCsv,
      '--out',
      join(layout.versionDir('iris-v2'), 'model.onnx'),
      '--c',
      String(t.c),
      '--subset-fraction',
      String(t.subsetFraction),
      '--subset-seed',
      String(t.subsetSeed),
    ]);
  }
  if (parts.has('convnet')) {
    const a = CONVNET_ARCHITECTURE;
    await onnx([
      'convnet-onnx',
      '--out',
      join(layout.versionDir('convnet'), 'model.onnx'),
      '--channels',
      a.channels.join(','),
      '--image-size',
      String(a.imageSize),
      '--hidden',
      String(a.hidden),
      '--rank',
      String(a.rank),
      '--classes',
      String(a.classes),
      '--seed',
      String(a.seed),
    ]);
  }
  if (parts.has('iris-tfjs')) {
    const data = parseIrisCsv(await readFile(layout.irisCsv, 'utf8'));
    const model = await trainIrisTfjs(data);
    const dir = layout.versionDir('iris-tfjs');
    await model.save(tfjsDirSaveHandler(dir));
    model.dispose();
    log(`iris-tfjs: trained on ${data.rowCount} rows, wrote ${dir}`);
  }
  if (parts.has('shap')) {
    for (const model of SHAP_MODELS) {
      await onnx([
        'shap-onnx',
        '--model',
        model,
        '--out',
        join(layout.versionDir(`shap-${model}`), 'model.onnx'),
      ]);
    }
  }
  if (parts.has('shapes-data')) {
    const files = await writeShapeSamples(layout.shapesDir);
    log(`shapes-data: wrote ${files.length} sample PNGs to ${layout.shapesDir}`);
  }
  if (parts.has('shapes')) {
    // Trained on generated images (not the samples), on the cpu backend: a few CPU minutes.
    const trained = await trainShapesCnn();
    const dir = layout.versionDir('shapes');
    await trained.model.save(tfjsDirSaveHandler(dir));
    trained.model.dispose();
    log(
      `shapes: trained, accuracy ${(100 * trained.trainAccuracy).toFixed(1)}% on the training images, ` +
        `${(100 * trained.testAccuracy).toFixed(1)}% on held-out images; wrote ${dir}`,
    );
  }
  if (parts.has('configs')) {
    for (const [name, config] of Object.entries(EXAMPLE_MODEL_CONFIGS)) {
      await mkdir(layout.modelDir(name), { recursive: true });
      await writeFile(layout.configFile(name), renderConfigYaml(config));
    }
    log(`configs: wrote ${Object.keys(EXAMPLE_MODEL_CONFIGS).length} config.yaml files`);
  }
}
