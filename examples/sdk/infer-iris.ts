/**
 * Classify three iris flowers through the router's `iris` graph with the Sightline SDK.
 *
 *   npm start                                   # the local stack, in another terminal
 *   npx tsx examples/sdk/infer-iris.ts          # router 127.0.0.1:8000 by default
 *   SIGHTLINE_ROUTER_ADDRESS=host:port npx tsx examples/sdk/infer-iris.ts
 */
import { Sightline } from '@sightline/sdk';

/** Writes one line to stdout (what the example shows). */
const print = (line: string) => process.stdout.write(`${line}\n`);

const SPECIES = ['setosa', 'versicolor', 'virginica'];

const sightline = new Sightline({
  addresses: { router: process.env.SIGHTLINE_ROUTER_ADDRESS ?? '127.0.0.1:8000' },
  deadlineMs: 10_000,
});

try {
  // Rows of sepal length, sepal width, petal length, petal width (cm); FP32 [3, 4] inferred.
  const flowers = [
    [5.1, 3.5, 1.4, 0.2],
    [6.0, 2.9, 4.5, 1.5],
    [6.9, 3.1, 5.4, 2.1],
  ];
  const result = await sightline.inference.infer('iris', { input: flowers }, { id: 'example-infer-iris' });
  const probabilities = result.output('probabilities').toNested() as number[][];
  for (const [i, row] of probabilities.entries()) {
    const best = row.indexOf(Math.max(...row));
    print(`flower ${i}: ${SPECIES[best]} (p=${row[best]!.toFixed(3)})`);
  }
  print(`trace id: ${result.traceId}`);
} finally {
  sightline.close();
}
