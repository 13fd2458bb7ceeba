/**
 * The example graphs with `iris` as a single model hop, for tests whose subject is the
 * router's own path (one request, one upstream call, one event, the caller's bytes
 * forwarded): since issue 14 the example `iris` graph adds a detector node and a shadow,
 * which call other services and log a second event per request. The other example graphs
 * are copied as they are, so these tests keep running them.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './child-service.js';

/** `iris`: the iris ONNX model alone, as examples/graphs/iris.yaml was before issue 14. */
export const ONE_HOP_IRIS_GRAPH = `name: iris
description: The iris ONNX classifier on the model-server, one hop.
root: iris
nodes:
  - name: iris
    policy:
      timeoutMs: 5000
      retry: { maxAttempts: 3, initialBackoffMs: 25, maxBackoffMs: 200 }
      circuitBreaker: { failureThreshold: 5, openDurationMs: 10000 }
    model:
      address: \${MODEL_SERVER_ADDRESS:-127.0.0.1:8001}
      modelName: iris
      declaredInputs: [{ name: input, datatype: FP32, shape: [-1, 4] }]
      declaredOutputs: [{ name: probabilities, datatype: FP32, shape: [-1, 3] }]
`;

let dir: string | undefined;

/** A directory of the example graphs with the one-hop `iris` (made once per test file, removed at exit). */
export function oneHopGraphsDir(): string {
  if (dir === undefined) {
    const made = mkdtempSync(path.join(tmpdir(), 'router-one-hop-graphs-'));
    cpSync(path.join(REPO_ROOT, 'examples/graphs'), made, { recursive: true });
    writeFileSync(path.join(made, 'iris.yaml'), ONE_HOP_IRIS_GRAPH);
    process.once('exit', () => rmSync(made, { recursive: true, force: true }));
    dir = made;
  }
  return dir;
}
