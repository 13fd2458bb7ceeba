import * as tf from '@tensorflow/tfjs';
import { SHAPES_TRAINING, trainShapesCnn } from '/work/wt/exp-ig/tools/models/dist/shapes/index.js';

const channels = 0;
const t0 = process.cpuUsage();
const w0 = Date.now();
const r = await trainShapesCnn({ ...SHAPES_TRAINING, trainImages: 256, testImages: 64, epochs: 1 });
const c = process.cpuUsage(t0);
console.log('x', 'cpu s', (c.user + c.system) / 1e6, 'wall s', (Date.now() - w0) / 1000);
