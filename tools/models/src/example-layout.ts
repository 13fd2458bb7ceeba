import { join } from 'node:path';
import { EXAMPLE_MODEL_VERSION } from './example-models.js';

/** Where each example file lives under a repository root (the real one, or a temp dir in tests). */
export interface ExampleLayout {
  readonly root: string;
  readonly dataDir: string;
  readonly irisCsv: string;
  /** `examples/data/shapes`: sample images of the shapes example. */
  readonly shapesDir: string;
  readonly modelsDir: string;
  /** `examples/models/<model>` */
  modelDir(model: string): string;
  /** `examples/models/<model>/config.yaml` */
  configFile(model: string): string;
  /** `examples/models/<model>/<version>` */
  versionDir(model: string): string;
}

/** The examples/ layout under `root`. */
export function exampleLayout(root: string): ExampleLayout {
  const dataDir = join(root, 'examples', 'data');
  const modelsDir = join(root, 'examples', 'models');
  return {
    root,
    dataDir,
    irisCsv: join(dataDir, 'iris.csv'),
    shapesDir: join(dataDir, 'shapes'),
    modelsDir,
    modelDir: (model) => join(modelsDir, model),
    configFile: (model) => join(modelsDir, model, 'config.yaml'),
    versionDir: (model) => join(modelsDir, model, String(EXAMPLE_MODEL_VERSION)),
  };
}
