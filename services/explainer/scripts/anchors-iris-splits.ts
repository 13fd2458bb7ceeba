/**
 * The figures of docs/design/explainer-anchors.md: Anchors on the iris ONNX model over five seeded
 * 100/50 splits, every held-out row explained and its anchor checked on the other held-out rows
 * (2,000 fresh draws, as test/anchors-iris-fidelity.test.ts). Run from services/explainer:
 * `npx tsx scripts/anchors-iris-splits.ts`; BEAM=n sets beam_size, DISC=10,20,... disc_perc.
 */
import { seededRandom } from '@sightline/stats';
import { predictedClass } from '../src/methods/anchors/anchor-search.js';
import { binOf, codeOf, discretiseBackground } from '../src/methods/anchors/discrete-background.js';
import { ANCHORS_DEFAULTS, anchors } from '../src/methods/anchors/index.js';
import { TabularSampler } from '../src/methods/anchors/tabular-sampler.js';
import { IRIS_FEATURES, irisOnnxEvaluator, readIris } from '../test/iris-onnx.js';

const space = { featureCount: 4, featureNames: IRIS_FEATURES, categorical: new Map() };
const w = (rows: Float64Array) => ({
  featureCount: 4,
  rows,
  weights: new Float64Array(rows.length / 4).fill(1),
  count: rows.length / 4,
});
const model = await irisOnnxEvaluator();
const iris = readIris();
const beam = Number(process.env.BEAM ?? 1);
for (const seed of [1, 2, 3, 4, 5]) {
  const order = Int32Array.from({ length: 150 }, (_, i) => i);
  seededRandom(seed).shuffle(order);
  const pick = (idx: Int32Array) => {
    const o = new Float64Array(idx.length * 4);
    idx.forEach((r, i) => {
      o.set(iris.rows.subarray(r * 4, r * 4 + 4), i * 4);
    });
    return o;
  };
  const bg = w(pick(order.subarray(0, 100)));
  const ho = w(pick(order.subarray(100)));
  const params = {
    ...ANCHORS_DEFAULTS,
    beamSize: beam,
    maxAnchorSize: undefined,
    discPerc: process.env.DISC ? process.env.DISC.split(',').map(Number) : ANCHORS_DEFAULTS.discPerc,
  };
  const tb = discretiseBackground(bg, space, params.discPerc);
  let pass = 0;
  let met = 0;
  let samples = 0;
  let explainMs = 0;
  let explainCalls = 0;
  let rowsPass = 0;
  for (let i = 0; i < 50; i++) {
    const inst = ho.rows.slice(i * 4, i * 4 + 4);
    const started = performance.now();
    const callsBefore = model.evaluator.calls;
    const out = await anchors.explainRow(inst, params, {
      evaluator: model.evaluator,
      space,
      background: bg,
      random: seededRandom(1000 + i),
      progress: () => {},
    });
    explainMs += performance.now() - started;
    explainCalls += model.evaluator.calls - callsBefore;
    const r = out.result;
    samples += r.samples;
    if (r.thresholdMet) met++;
    const codes = Int32Array.from(inst, (v, f) => codeOf(v, tb.codings[f]!));
    const preds = r.predicates.map((p) => {
      const coding = tb.codings[p.featureIndex]!;
      if (coding.kind !== 'numeric' || !('above' in p.allowed))
        throw new Error('iris has numeric features only');
      const { above, atMost } = p.allowed;
      const low = above === Number.NEGATIVE_INFINITY ? 0 : binOf(above, coding.edges) + 1;
      const high = atMost === Number.POSITIVE_INFINITY ? coding.edges.length : binOf(atMost, coding.edges);
      return { feature: p.featureIndex, low, high };
    });
    const keep = Int32Array.from({ length: 49 }, (_, q) => (q < i ? q : q + 1));
    const hoLoo = w(
      Float64Array.from(Array.from(keep).flatMap((r) => Array.from(ho.rows.subarray(r * 4, r * 4 + 4)))),
    );
    const s = new TabularSampler(
      discretiseBackground(hoLoo, space, params.discPerc, tb.codings),
      inst,
      codes,
    );
    let same = 0;
    for (let b = 0; b < 20; b++) {
      const d = s.sample(preds, 'c', 100, seededRandom(5000 + i * 20 + b));
      const o = await model.evaluator.evaluate(d.rows);
      for (let q = 0; q < 100; q++) if (predictedClass(o, q, 3) === r.prediction) same++;
    }
    if (same / 2000 >= 0.95) pass++;
    // Beside: the other held-out rows that satisfy the rule.
    const others = await model.evaluator.evaluate(hoLoo.rows);
    let satisfying = 0;
    let agreeing = 0;
    for (let q = 0; q < hoLoo.count; q++) {
      const row = hoLoo.rows.subarray(q * 4, q * 4 + 4);
      const holds = r.predicates.every((p) => {
        if (!('above' in p.allowed)) return row[p.featureIndex] === p.allowed.category;
        return row[p.featureIndex]! > p.allowed.above && row[p.featureIndex]! <= p.allowed.atMost;
      });
      if (!holds) continue;
      satisfying++;
      if (predictedClass(others, q, 3) === r.prediction) agreeing++;
    }
    if (satisfying === 0 || agreeing / satisfying >= 0.95) rowsPass++;
  }
  process.stdout.write(
    `split ${seed}, beam ${beam}, disc_perc ${params.discPerc.join(',')}: held-out sampled precision >= 0.95 ` +
      `${pass}/50, on satisfying held-out rows ${rowsPass}/50 (none counts as a pass), threshold met ${met}/50, ` +
      `per explanation ${Math.round(samples / 50)} rows in ${(explainCalls / 50).toFixed(1)} calls, ${(explainMs / 50).toFixed(1)} ms\n`,
  );
}
await model.close();
