/**
 * Stream drivers shared by the online detectors' tests (not exported from the package): no-drift
 * run times and detection delays over several fits, seeded.
 */
import type { OnlineStep } from '../src/online/online-step.js';
import { seededRandom } from '../src/random/seeded-random.js';

/** What the drivers need of a detector. */
export interface OnlineDetectorLike {
  predict(row: ArrayLike<number>): OnlineStep;
  resetState(): void;
}

/**
 * Mean run time to the first alarm on standard normal rows in 2 dimensions (the reference's
 * distribution), counted from `firstTime` (0 for MMD; the smallest window - 1 for CVM),
 * over `fits` fits and `runs` streams each; a stream without alarm by 40 ert counts as 40 ert.
 */
export function meanRunTime(
  fit: (f: number) => OnlineDetectorLike,
  options: { fits: number; runs: number; ert: number; firstTime: number },
): number {
  let total = 0;
  for (let f = 0; f < options.fits; f++) {
    const detector = fit(f);
    const random = seededRandom(5000 + f);
    for (let r = 0; r < options.runs; r++) {
      detector.resetState();
      let runTime = 40 * options.ert;
      for (let s = 0; s < 40 * options.ert; s++) {
        const step = detector.predict([random.nextNormal(), random.nextNormal()]);
        if (step.isDrift) {
          runTime = step.time - options.firstTime;
          break;
        }
      }
      total += runTime;
    }
  }
  return total / (options.fits * options.runs);
}

/** Times of the first alarm on rows whose first feature's mean is shifted by 1 sd from the start; -1 when none by `limit`. */
export function shiftedDelays(
  fit: (f: number) => OnlineDetectorLike,
  options: { fits: number; runs: number; limit: number },
): number[] {
  const delays: number[] = [];
  for (let f = 0; f < options.fits; f++) {
    const detector = fit(f);
    const random = seededRandom(9000 + f);
    for (let r = 0; r < options.runs; r++) {
      detector.resetState();
      let delay = -1;
      for (let s = 0; s < options.limit; s++) {
        const step = detector.predict([random.nextNormal() + 1, random.nextNormal()]);
        if (step.isDrift) {
          delay = step.time;
          break;
        }
      }
      delays.push(delay);
    }
  }
  return delays;
}
