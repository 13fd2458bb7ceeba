/**
 * Fit a tabular drift detector on a reference table, then test a batch like it and a
 * shifted one, with the Sightline SDK.
 *
 *   npm start                                   # the local stack (drift on 127.0.0.1:8003), in another terminal
 *   npx tsx examples/sdk/watch-drift.ts
 *   SIGHTLINE_DRIFT_ADDRESS=host:port npx tsx examples/sdk/watch-drift.ts
 */
import { NotFoundError, Sightline } from '@sightline/sdk';

/** Writes one line to stdout (what the example shows). */
const print = (line: string) => process.stdout.write(`${line}\n`);

/** A small seeded generator, so every run sends the same numbers. */
function uniform(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** `rows` rows: a numeric column around `centre` and a categorical one. */
function table(rows: number, centre: number, seed: number) {
  const random = uniform(seed);
  return {
    columns: {
      petal_length: Array.from({ length: rows }, () => centre + random() + random() - 1),
      species: Array.from(
        { length: rows },
        () => ['setosa', 'versicolor', 'virginica'][Math.floor(random() * 3)]!,
      ),
    },
  };
}

const sightline = new Sightline({
  addresses: { drift: process.env.SIGHTLINE_DRIFT_ADDRESS ?? '127.0.0.1:8003' },
});
const name = 'example-petals';

try {
  // Start from a clean detector so the example can run again.
  await sightline.drift.delete(name).catch((error: unknown) => {
    if (!(error instanceof NotFoundError)) throw error;
  });
  await sightline.drift.createDetector(name, {
    settings: { kind: 'tabular', pVal: 0.05, correction: 'bonferroni' },
    categoricalFeatures: ['species'],
  });
  const fitted = await sightline.drift.fit(name, table(500, 4, 1), { creator: 'example' });
  print(`fitted ${name} version ${fitted.version} on ${fitted.referenceRows} rows (${fitted.kind})`);

  for (const [label, batch] of [
    ['same', table(200, 4, 2)],
    ['shifted', table(200, 6, 3)],
  ] as const) {
    const { data } = await sightline.drift.predict(name, batch);
    print(`${label}: drift=${data.drift} (threshold ${data.threshold}, ${data.correction})`);
    for (const feature of data.features) {
      print(
        `  ${feature.name}: ${feature.test} statistic ${feature.statistic.toFixed(3)} p ${feature.pValue.toExponential(2)} psi ${feature.effectSizes?.psi.toFixed(3)} drift=${feature.drift}`,
      );
    }
  }

  await sightline.drift.delete(name);
  print(`deleted ${name}`);
} finally {
  sightline.close();
}
