/**
 * Which requests a started router forwards as the caller's bytes: the executor's rule
 * (GraphExecutor.forwardsCallerBytes) asked about a raw request that selects no outputs.
 */
import type { RouterHandle } from '../../src/router.js';

/**
 * Whether `router` sends a raw request for `name` that asks no outputs upstream as the
 * caller's bytes; false for a name that resolves to no graph (empty, or unknown with
 * pass-through off).
 */
export function forwardsRawRequest(router: RouterHandle, name: string, version = ''): boolean {
  let graph: ReturnType<RouterHandle['dataPlane']['resolve']>['graph'];
  try {
    graph = router.dataPlane.resolve(name, version).graph;
  } catch {
    return false;
  }
  return router.executor.forwardsCallerBytes(graph, {
    modelName: name,
    modelVersion: version,
    id: '',
    parameters: {},
    tensors: [],
    outputs: [],
    rawContents: true,
    encoded: { bytes: new Uint8Array(0), length: 0 },
  });
}
