import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLoad } from '../load-generator.js';
import { writeBatchingVariant } from '../models/batching-repository.js';
import { loadInProcessModel, readSignature } from '../models/in-process-onnx.js';
import { newestOnnxFile } from '../models/model-files.js';
import { type ModelSignature, sampleInput } from '../models/onnx-signature.js';
import {
  PAIRED_WARMUP_MS,
  type PairedComparison,
  type PairedRound,
  runPaired,
} from '../paired-comparison.js';
import { HIGH_CONCURRENCY, LOW_CONCURRENCY } from '../report/ratios.js';
import type { ChildProcessGroup } from '../servers/child-process-group.js';
import { startFloorProcess } from '../servers/floor-process.js';
import { startModelServer } from '../servers/model-server-process.js';
import { readProcessMemory } from '../servers/process-memory.js';
import { encodeInferRequest, type ModelCounters, V2ClientPool } from '../v2-client.js';
import type { SetupPoint, SetupResult } from './setup-result.js';

/** Setup ids of the model-server suite, in the order they run. */
export const MODEL_SERVER_SETUPS = [
  'floor',
  'iris-served',
  'iris-in-process',
  'convnet-batching-off',
  'convnet-batching-on',
  'convnet-in-process',
] as const;
export type ModelServerSetupId = (typeof MODEL_SERVER_SETUPS)[number];

/** How the suite runs; every figure has its unit in its name. */
export interface ModelServerSuiteOptions {
  readonly workspaceRoot: string;
  /** The example model repository (examples/models). */
  readonly modelsDir: string;
  readonly concurrencies: readonly number[];
  readonly durationMs: number;
  readonly warmupMs: number;
  /** gRPC channels (HTTP/2 connections) per client pool; the same for floor and server. */
  readonly channels: number;
  /** Setups to run (default: all). */
  readonly setups?: readonly ModelServerSetupId[];
  readonly group: ChildProcessGroup;
  /** Called with each finished point, for progress output. */
  readonly onPoint?: (setupId: string, point: SetupPoint) => void;
  /** Rounds of the paired floor/iris comparisons; 0 skips them. */
  readonly pairedRounds: number;
  /** Measured time per side per paired round. */
  readonly pairedDurationMs: number;
  readonly onPairedRound?: (label: string, index: number, round: PairedRound) => void;
}

/** What the suite measured: every setup, and the paired comparisons behind the iris targets. */
export interface ModelServerSuiteResult {
  readonly setups: SetupResult[];
  /**
   * At c=1 and c=64: the floor, and the floor running iris, each against the model-server
   * serving iris (empty when skipped).
   */
  readonly paired: PairedComparison[];
  /** Why the paired comparisons did not run, if they did not. */
  readonly pairedSkipped?: string;
}

const IRIS = 'iris';
/** Id of the paired floor/iris comparisons. */
export const FLOOR_VS_IRIS = 'floor-vs-iris';
/**
 * Id of the paired comparisons against the floor running iris in onnxruntime: what the
 * model-server adds beyond executing the model (reported, no target).
 */
export const MODEL_FLOOR_VS_IRIS = 'model-floor-vs-iris';
const CONVNET = 'convnet';

/**
 * Runs the Open Inference Protocol benchmark of issue 2: (a) the grpc-js floor, (b) the
 * model-server serving iris, (c) iris in process, (d) the convnet served with dynamic
 * batching off and on, and in process at batch 1. Servers run as child processes; one
 * setup failing to start (model-server not built, a model missing) is recorded as
 * skipped with the reason and the rest still run.
 */
export async function runModelServerSuite(options: ModelServerSuiteOptions): Promise<ModelServerSuiteResult> {
  const wanted = new Set(options.setups ?? MODEL_SERVER_SETUPS);
  const results: SetupResult[] = [];
  const irisFile = newestOnnxFile(options.modelsDir, IRIS);
  const convnetFile = newestOnnxFile(options.modelsDir, CONVNET);
  const missing = (model: string) => `no ${model} ONNX model under ${join(options.modelsDir, model)}`;
  const attempt = async (
    id: ModelServerSetupId,
    label: string,
    kind: SetupResult['kind'],
    run: () => Promise<SetupResult>,
  ) => {
    if (!wanted.has(id)) return;
    try {
      results.push(await run());
    } catch (error) {
      results.push({
        id,
        label,
        kind,
        points: [],
        skipped: error instanceof Error ? error.message : String(error),
      });
    }
  };

  const irisSignature = irisFile ? await readSignature(irisFile) : undefined;
  const convnetSignature = convnetFile ? await readSignature(convnetFile) : undefined;

  await attempt('floor', '(a) grpc-js floor (fixed iris-shaped answer)', 'floor', async () => {
    const signature = irisSignature ?? FALLBACK_IRIS_SIGNATURE;
    const floor = await startFloorProcess(options.group, {
      name: signature.outputName,
      shape: signature.outputShape,
    });
    try {
      const points = await measureServed(floor.address, IRIS, signature, options, 'floor');
      return { id: 'floor', label: '(a) grpc-js floor (fixed iris-shaped answer)', kind: 'floor', points };
    } finally {
      await options.group.stop(floor.child);
    }
  });

  await attempt('iris-served', '(b) model-server, iris', 'served', async () => {
    if (!irisSignature) throw new Error(missing(IRIS));
    const server = await startModelServer(options.group, {
      workspaceRoot: options.workspaceRoot,
      repository: options.modelsDir,
      models: [IRIS],
    });
    try {
      const ready = readProcessMemory(server.child.pid);
      const points = await measureServed(server.address, IRIS, irisSignature, options, 'iris-served');
      const after = readProcessMemory(server.child.pid);
      return {
        id: 'iris-served',
        label: '(b) model-server, iris',
        kind: 'served',
        points,
        ...(after && { memory: { ...after, readyRssBytes: ready?.rssBytes ?? 0 } }),
      };
    } finally {
      await options.group.stop(server.child);
    }
  });

  await attempt('iris-in-process', '(c) onnxruntime-node in process, iris', 'in-process', async () => {
    if (!irisFile) throw new Error(missing(IRIS));
    const points = await measureInProcess(irisFile, options, 'iris-in-process');
    return {
      id: 'iris-in-process',
      label: '(c) onnxruntime-node in process, iris',
      kind: 'in-process',
      points,
    };
  });

  for (const batching of [false, true]) {
    const id = batching ? 'convnet-batching-on' : 'convnet-batching-off';
    const label = `(d) model-server, convnet, dynamic batching ${batching ? 'on' : 'off'}`;
    await attempt(id, label, 'served', async () => {
      if (!convnetSignature) throw new Error(missing(CONVNET));
      const repository = mkdtempSync(join(tmpdir(), `sightline-bench-${id}-`));
      try {
        writeBatchingVariant(join(options.modelsDir, CONVNET), repository, CONVNET, batching);
        const server = await startModelServer(options.group, {
          workspaceRoot: options.workspaceRoot,
          repository,
          models: [CONVNET],
        });
        try {
          const points = await measureServed(server.address, CONVNET, convnetSignature, options, id);
          return { id, label, kind: 'served', points };
        } finally {
          await options.group.stop(server.child);
        }
      } finally {
        rmSync(repository, { recursive: true, force: true });
      }
    });
  }

  await attempt(
    'convnet-in-process',
    '(d) onnxruntime-node in process, convnet, batch 1',
    'in-process',
    async () => {
      if (!convnetFile) throw new Error(missing(CONVNET));
      const points = await measureInProcess(convnetFile, options, 'convnet-in-process');
      return {
        id: 'convnet-in-process',
        label: '(d) onnxruntime-node in process, convnet, batch 1',
        kind: 'in-process',
        points,
      };
    },
  );

  let paired: PairedComparison[] = [];
  let pairedSkipped: string | undefined;
  if (options.pairedRounds > 0 && wanted.has('floor') && wanted.has('iris-served')) {
    try {
      if (!(irisSignature && irisFile)) throw new Error(missing(IRIS));
      paired = await pairFloorWithIris(options, irisSignature, irisFile);
    } catch (error) {
      pairedSkipped = error instanceof Error ? error.message : String(error);
    }
  }
  return { setups: results, paired, ...(pairedSkipped !== undefined && { pairedSkipped }) };
}

/**
 * The iris targets' figures, measured robustly: the floor and the model-server both
 * running, compared in alternating rounds at the targets' concurrencies (1 and 64).
 */
async function pairFloorWithIris(
  options: ModelServerSuiteOptions,
  signature: ModelSignature,
  irisFile: string,
): Promise<PairedComparison[]> {
  const output = { name: signature.outputName, shape: signature.outputShape };
  const floor = await startFloorProcess(options.group, output);
  const pools: V2ClientPool[] = [];
  let modelFloor: Awaited<ReturnType<typeof startFloorProcess>> | undefined;
  try {
    // The example iris config's intra_op_threads.
    modelFloor = await startFloorProcess(options.group, output, { file: irisFile, intraOpThreads: 1 });
    const server = await startModelServer(options.group, {
      workspaceRoot: options.workspaceRoot,
      repository: options.modelsDir,
      models: [IRIS],
    });
    try {
      const request = encodeInferRequest(IRIS, [
        { name: signature.inputName, shape: signature.inputShape, data: sampleInput(signature.inputShape) },
      ]);
      const side = async (label: string, address: string) => {
        const pool = new V2ClientPool(address, options.channels);
        pools.push(pool);
        await checkAnswer(pool, request, signature);
        return {
          label,
          call: async () => {
            await pool.inferRaw(request);
          },
        };
      };
      const floorSide = await side('(a) floor', floor.address);
      const modelFloorSide = await side("(a') floor running iris in onnxruntime", modelFloor.address);
      const candidate = await side('(b) model-server iris', server.address);
      const comparisons: PairedComparison[] = [];
      for (const concurrency of [LOW_CONCURRENCY, HIGH_CONCURRENCY]) {
        for (const [id, baseline] of [
          [FLOOR_VS_IRIS, floorSide],
          [MODEL_FLOOR_VS_IRIS, modelFloorSide],
        ] as const) {
          const label = `${id} c=${concurrency}`;
          comparisons.push(
            await runPaired({
              id,
              baseline,
              candidate,
              concurrency,
              rounds: options.pairedRounds,
              durationMs: options.pairedDurationMs,
              warmupMs: PAIRED_WARMUP_MS,
              onRound: (index, round) => options.onPairedRound?.(label, index, round),
            }),
          );
        }
      }
      return comparisons;
    } finally {
      await options.group.stop(server.child);
    }
  } finally {
    for (const pool of pools) pool.close();
    if (modelFloor) await options.group.stop(modelFloor.child);
    await options.group.stop(floor.child);
  }
}

/** Iris's shapes, for the floor when the example model is not there yet. */
const FALLBACK_IRIS_SIGNATURE: ModelSignature = {
  inputName: 'input',
  inputShape: [1, 4],
  outputName: 'probabilities',
  outputShape: [1, 3],
};

/** What measuring a served model needs of a suite's options. */
export type ServedMeasureOptions = Pick<
  ModelServerSuiteOptions,
  'channels' | 'concurrencies' | 'durationMs' | 'warmupMs' | 'onPoint'
>;

/**
 * Measures `model` at `address` at each concurrency with a fresh client pool and one
 * pre-encoded batch-1 request, after checking one decoded answer (output name and shape).
 * Where the server reports model statistics, each point carries the mean executed batch.
 */
export async function measureServed(
  address: string,
  model: string,
  signature: ModelSignature,
  options: ServedMeasureOptions,
  setupId: string,
): Promise<SetupPoint[]> {
  const pool = new V2ClientPool(address, options.channels);
  try {
    const request = encodeInferRequest(model, [
      { name: signature.inputName, shape: signature.inputShape, data: sampleInput(signature.inputShape) },
    ]);
    await checkAnswer(pool, request, signature);
    const call = async () => {
      await pool.inferRaw(request);
    };
    // The floor has no statistics; the model-server's tell whether batches formed.
    const counters = setupId === 'floor' ? undefined : () => pool.modelStatistics(model);
    return await measurePoints(call, options, setupId, counters);
  } finally {
    pool.close();
  }
}

async function measureInProcess(
  modelFile: string,
  options: ModelServerSuiteOptions,
  setupId: string,
): Promise<SetupPoint[]> {
  const model = await loadInProcessModel(modelFile, 1);
  try {
    return await measurePoints(model.call, options, setupId);
  } finally {
    await model.close();
  }
}

async function measurePoints(
  call: () => Promise<void>,
  options: ServedMeasureOptions,
  setupId: string,
  counters?: () => Promise<ModelCounters | undefined>,
): Promise<SetupPoint[]> {
  const points: SetupPoint[] = [];
  for (const concurrency of options.concurrencies) {
    const before = await counters?.();
    const load = await runLoad({
      call,
      concurrency,
      durationMs: options.durationMs,
      warmupMs: options.warmupMs,
    });
    const after = await counters?.();
    const executions = before && after ? after.executionCount - before.executionCount : 0;
    const point: SetupPoint =
      before && after && executions > 0
        ? { ...load, meanExecutedBatch: (after.inferenceCount - before.inferenceCount) / executions }
        : load;
    options.onPoint?.(setupId, point);
    points.push(point);
  }
  return points;
}

/** One decoded answer before measuring, so a benchmark never times a wrong answer. */
async function checkAnswer(pool: V2ClientPool, request: Buffer, signature: ModelSignature): Promise<void> {
  const response = await pool.infer(request);
  const output = response.outputs.find((o) => o.name === signature.outputName);
  if (!output) {
    throw new Error(
      `answer check: no output "${signature.outputName}" (got ${response.outputs.map((o) => o.name).join(', ') || 'none'})`,
    );
  }
  const shape = output.shape.map(Number);
  if (shape.join(',') !== signature.outputShape.join(',')) {
    throw new Error(
      `answer check: output "${output.name}" has shape [${shape.join(',')}], expected [${signature.outputShape.join(',')}]`,
    );
  }
}
