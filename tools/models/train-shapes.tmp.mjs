import { SHAPES_TRAINING, trainShapesCnn } from './dist/shapes/index.js';

const [images, epochs] = process.argv.slice(2).map(Number);
const t0 = process.cpuUsage();
const w0 = Date.now();
const r = await trainShapesCnn({ ...SHAPES_TRAINING, trainImages: images, epochs });
const c = process.cpuUsage(t0);
console.log(
  images,
  epochs,
  'train',
  r.trainAccuracy,
  'test',
  r.testAccuracy,
  'cpu s',
  (c.user + c.system) / 1e6,
  'wall s',
  (Date.now() - w0) / 1000,
);
