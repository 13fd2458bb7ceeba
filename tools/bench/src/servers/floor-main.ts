/**
 * Child-process entry of the floor server, so the load generator and the server do
 * not share one event loop (the same topology as the model-server benchmark).
 *
 * Usage: node floor-main.js --output-name NAME --output-shape 1,3 [--model-file F --intra-op-threads N]
 * Prints one line `{"ready":true,"port":N}` on stdout once serving; exits on SIGTERM/SIGINT.
 */
import { parseArgs } from 'node:util';
import { startFloorServer } from './floor-server.js';

const { values } = parseArgs({
  options: {
    'output-name': { type: 'string', default: 'probabilities' },
    'output-shape': { type: 'string', default: '1,3' },
    port: { type: 'string', default: '0' },
    'model-file': { type: 'string' },
    'intra-op-threads': { type: 'string', default: '1' },
  },
});
const shape = values['output-shape'].split(',').map(Number);
if (shape.some((d) => !(Number.isInteger(d) && d > 0))) {
  console.error(
    `--output-shape: expected positive integers separated by commas, got "${values['output-shape']}"`,
  );
  process.exit(2);
}
const server = await startFloorServer(
  { name: values['output-name'], shape },
  '127.0.0.1',
  Number(values.port),
  values['model-file'] === undefined
    ? undefined
    : { file: values['model-file'], intraOpThreads: Number(values['intra-op-threads']) },
);
process.stdout.write(`${JSON.stringify({ ready: true, port: server.port })}\n`);
const stop = () => {
  void server.close().then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
