/**
 * Validate, apply, call, list and delete an inference graph on the router with the
 * Sightline SDK.
 *
 *   npm start                                   # the local stack, in another terminal
 *   npx tsx examples/sdk/manage-graphs.ts
 *   SIGHTLINE_ROUTER_ADDRESS=host:port MODEL_SERVER_ADDRESS=host:port npx tsx examples/sdk/manage-graphs.ts
 */
import { NotFoundError, Sightline } from '@sightline/sdk';

/** Writes one line to stdout (what the example shows). */
const print = (line: string) => process.stdout.write(`${line}\n`);

const modelServer = process.env.MODEL_SERVER_ADDRESS ?? '127.0.0.1:8001';
const sightline = new Sightline({
  addresses: { router: process.env.SIGHTLINE_ROUTER_ADDRESS ?? '127.0.0.1:8000' },
});

const graph = `
name: example-iris-pair
description: The ONNX and TF.js iris models in sequence, each on the request's input.
root: pair
nodes:
  - name: pair
    sequence: { steps: [{ node: onnx }, { node: tfjs, input: request }] }
  - name: onnx
    model: { address: "${modelServer}", modelName: iris }
  - name: tfjs
    model: { address: "${modelServer}", modelName: iris-tfjs }
`;

try {
  const validation = await sightline.graphs.validate(graph);
  if (!validation.valid) {
    for (const problem of validation.problems) console.error(`${problem.rule}: ${problem.message}`);
    process.exit(1);
  }
  const applied = await sightline.graphs.apply(graph);
  print(
    `applied ${applied.graph.graph?.name} generation ${applied.graph.generation} (created: ${applied.created})`,
  );

  const result = await sightline.inference.infer('example-iris-pair', { input: [[5.1, 3.5, 1.4, 0.2]] });
  print(
    `answer ${JSON.stringify(result.output('probabilities').toNested())} via ${result.parameters['sightline.path']}`,
  );

  const names: string[] = [];
  for await (const stored of sightline.graphs.listAll()) names.push(stored.graph?.name ?? '');
  print(`graphs: ${names.join(', ')}`);

  await sightline.graphs.delete('example-iris-pair');
  try {
    await sightline.graphs.get('example-iris-pair');
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    print(`deleted: ${error.message}`);
  }
} finally {
  sightline.close();
}
