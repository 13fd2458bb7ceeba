import { ChildProcessGroup } from './dist/servers/child-process-group.js';
import { startModelServer } from './dist/servers/model-server-process.js';
import { startOutlierProcess } from './dist/servers/outlier-process.js';
import { fitBenchDetector, irisLikeRows, OUTLIER_BENCH_DETECTOR } from './dist/suites/outlier-bench-detector.js';
import { V2ClientPool, encodeInferRequest } from './dist/v2-client.js';
import { createTensor, encodeTensorMessages } from '@sightline/tensor';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const group = new ChildProcessGroup();
const root = '/work/main';
const ms = await startModelServer(group, { workspaceRoot: root, repository: process.argv[2], models: ['iris'] });
const od = await startOutlierProcess(group, { dataDir: mkdtempSync(join(tmpdir(), 'rt-')) });
await fitBenchDetector(od.client, irisLikeRows(1000, 11));
const pool = new V2ClientPool(ms.address, 1);
const req = encodeInferRequest('iris', [{ name: 'input', shape: [1, 4], data: Float32Array.from([5.8, 3, 3.8, 1.2]) }]);
const data = encodeTensorMessages([createTensor('input', 'FP32', [1, 4], Float32Array.from([5.8, 3, 3.8, 1.2]))], 'raw');
const p50 = (a) => a.sort((x, y) => x - y)[Math.floor(a.length / 2)];
for (let round = 0; round < 6; round++) {
  const m = [], o = [];
  for (let i = 0; i < 1500; i++) { const t = performance.now(); await pool.inferRaw(req); m.push(performance.now() - t); }
  for (let i = 0; i < 1500; i++) { const t = performance.now(); await od.client.predict({ name: 'iris-od', data, returnInstanceScore: true, returnFeatureScore: false }); o.push(performance.now() - t); }
  console.log(`round ${round}: model infer p50 ${p50(m).toFixed(3)} ms, outlier predict p50 ${p50(o).toFixed(3)} ms`);
}
pool.close(); od.client.close();
await group.stop(ms.child); await group.stop(od.child);
process.exit(0);
