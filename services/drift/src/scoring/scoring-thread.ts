/**
 * A scoring thread of the drift service (node:worker_threads): imports the kernels named in
 * its `workerData`, keeps the fitted states it was sent (per detector version and load, until
 * the event loop evicts them) and scores one table at a time against them with libs/detect's
 * drift kinds. A kind's refusal is answered as data; anything that ends the thread (a crash,
 * `process.exit`) is seen by the pool, which fails the score it ran and replaces the thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type DriftKernels, DriftKinds, type FittedState } from '@sightline/detect';
import {
  type FromScoringThread,
  type ScoringThreadInit,
  type ToScoringThread,
  toWireError,
} from './scoring-protocol.js';

const port = parentPort;
if (port === null) throw new Error('scoring-thread.js runs as a worker thread of the drift service');
const init = workerData as ScoringThreadInit;
const loaded = (await import(init.kernels.module)) as Record<string, unknown>;
const kernels = loaded[init.kernels.exportName] as DriftKernels | undefined;
if (kernels === undefined) {
  throw new Error(`kernels module ${init.kernels.module} exports no ${init.kernels.exportName}`);
}
const kinds = new DriftKinds(kernels);
const fitted = new Map<string, { kind: string; state: FittedState }>();

const send = (message: FromScoringThread) => port.postMessage(message);

port.on('message', (message: ToScoringThread) => {
  if (message.type === 'evict') {
    fitted.delete(message.key);
    return;
  }
  if (message.fitted && message.keep !== false) fitted.set(message.key, message.fitted);
  const version = message.fitted ?? fitted.get(message.key);
  if (version === undefined) {
    // The pool sends the state with the first score of a version on this thread; not having
    // it is a pool bug, answered (not thrown) so the thread stays.
    send({
      type: 'failed',
      id: message.id,
      error: { code: 'INTERNAL', message: 'scoring thread: the fitted version was never sent to it' },
    });
    return;
  }
  try {
    const result = kinds.get(version.kind).score(version.state, message.table);
    send({ type: 'scored', id: message.id, result });
  } catch (error) {
    send({ type: 'failed', id: message.id, error: toWireError(error) });
  }
});
send({ type: 'ready' });
