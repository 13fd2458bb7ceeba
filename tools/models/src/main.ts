#!/usr/bin/env node
/**
 * `npm run models`: rebuilds examples/data and examples/models.
 *
 *   node tools/models/dist/main.js [--root DIR] [--python PATH] [--only part,part]
 *
 * Parts: data, iris, iris-v2, convnet, iris-tfjs, shap, shapes-data, shapes, configs (default: all). The
 * ONNX parts and the CSV need Debian's python3-sklearn, python3-numpy and python3-onnx; shapes-data
 * writes the sample PNGs, shapes trains the CNN on TF.js's cpu backend (several CPU minutes).
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildExamples, EXAMPLE_PARTS, type ExamplePart } from './build-examples.js';
import { DEFAULT_PYTHON, pythonOnnxBuilder } from './onnx-builder.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      root: { type: 'string', default: REPO_ROOT },
      python: { type: 'string', default: process.env.SIGHTLINE_PYTHON ?? DEFAULT_PYTHON },
      only: { type: 'string' },
    },
  });
  const parts = values.only?.split(',').map((part) => part.trim());
  const unknown = parts?.filter((part) => !(EXAMPLE_PARTS as readonly string[]).includes(part)) ?? [];
  if (unknown.length > 0) {
    throw new Error(
      `--only: unknown part(s) ${unknown.join(', ')}; expected some of ${EXAMPLE_PARTS.join(', ')}`,
    );
  }
  await buildExamples({
    root: values.root,
    onnx: pythonOnnxBuilder(values.python),
    parts: parts as ExamplePart[] | undefined,
    log: (line) => process.stdout.write(`${line}\n`),
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
