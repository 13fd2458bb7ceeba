import { Worker } from 'node:worker_threads';
import { DeadlineExceededError, InternalError, InvalidArgumentError } from '@sightline/errors';
import { distanceRowRange, kernelRowRange } from './kernel-row-ranges.js';

/** How long the calling thread waits for a helper's share before giving up. */
export const DEFAULT_KERNEL_THREAD_TIMEOUT_MS = 60_000;
/** Most helper threads one {@link KernelThreads} starts. */
export const MAX_KERNEL_HELPER_THREADS = 64;

/** One helper's share of a kernel pass; buffers are shared memory. */
export type KernelRowTask =
  | {
      readonly kind: 'distances';
      readonly data: SharedArrayBuffer;
      readonly norms: SharedArrayBuffer;
      readonly n: number;
      readonly d: number;
      readonly out: SharedArrayBuffer;
      readonly from: number;
      readonly to: number;
    }
  | {
      readonly kind: 'kernel';
      readonly packed: SharedArrayBuffer;
      readonly total: number;
      readonly gamma: number;
      readonly lists: SharedArrayBuffer;
      readonly k: number;
      readonly count: number;
      readonly from: number;
      readonly to: number;
      readonly rowSums: SharedArrayBuffer;
      readonly within: SharedArrayBuffer;
    };

// The helpers run the very functions the calling thread runs, from their source text, bound
// to fixed names (a bundler may rename the declarations themselves).
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const distanceRowRange = (${distanceRowRange.toString()});
const kernelRowRange = (${kernelRowRange.toString()});
parentPort.on('message', ({ task, done }) => {
  const flag = new Int32Array(done);
  try {
    if (task.kind === 'distances') {
      distanceRowRange(new Float64Array(task.data), new Float64Array(task.norms), task.n, task.d,
        new Float64Array(task.out), task.from, task.to);
    } else {
      kernelRowRange(new Float64Array(task.packed), task.total, task.gamma, new Int32Array(task.lists),
        task.k, task.count, task.from, task.to, new Float64Array(task.rowSums), new Float64Array(task.within));
    }
    Atomics.store(flag, 0, 1);
  } catch (error) {
    Atomics.store(flag, 0, 2);
  }
  Atomics.notify(flag, 0);
});
`;

/**
 * Helper threads a kernel test may split its two quadratic passes over (pairwise distances;
 * kernel values with row sums and permutation gathers). Created once by the caller (a
 * service's composition root, a benchmark), passed in the test's options, closed at
 * shutdown. The calling thread does its own share and then blocks (Atomics.wait) until the
 * helpers finish, so the tests stay synchronous; results equal the single-threaded ones up
 * to the order of floating-point additions (about 1e-16 relative).
 */
export class KernelThreads {
  readonly #workers: Worker[];
  readonly #timeoutMs: number;

  private constructor(workers: Worker[], timeoutMs: number) {
    this.#workers = workers;
    this.#timeoutMs = timeoutMs;
  }

  /**
   * Starts `helpers` worker threads (the calling thread is one more). They do not keep the
   * process alive.
   */
  static create(helpers: number, options: { readonly timeoutMs?: number } = {}): KernelThreads {
    if (!Number.isInteger(helpers) || helpers < 1 || helpers > MAX_KERNEL_HELPER_THREADS) {
      throw new InvalidArgumentError(
        `helpers: expected an integer in [1, ${MAX_KERNEL_HELPER_THREADS}], got ${helpers}`,
      );
    }
    const workers = Array.from({ length: helpers }, () => {
      const worker = new Worker(WORKER_SOURCE, { eval: true });
      worker.unref();
      return worker;
    });
    return new KernelThreads(workers, options.timeoutMs ?? DEFAULT_KERNEL_THREAD_TIMEOUT_MS);
  }

  /** Helper threads (excluding the caller). */
  get helpers(): number {
    return this.#workers.length;
  }

  /**
   * Hands `tasks[h]` to helper h, runs `own` on the calling thread, then waits for every helper.
   * @throws InternalError when a helper's share failed; DeadlineExceededError past the timeout.
   */
  run(tasks: readonly KernelRowTask[], own: () => void): void {
    const flags = tasks.map((task, h) => {
      const done = new SharedArrayBuffer(4);
      this.#workers[h]!.postMessage({ task, done });
      return new Int32Array(done);
    });
    own();
    for (const flag of flags) {
      if (Atomics.wait(flag, 0, 0, this.#timeoutMs) === 'timed-out') {
        throw new DeadlineExceededError(
          `kernel threads: a helper did not finish within ${this.#timeoutMs} ms`,
        );
      }
      if (Atomics.load(flag, 0) !== 1) throw new InternalError('kernel threads: a helper failed its share');
    }
  }

  /** Stops the helper threads. */
  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}
