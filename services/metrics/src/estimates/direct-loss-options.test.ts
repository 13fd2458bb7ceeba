import { InvalidArgumentError } from '@sightline/errors';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_DLE_MIN_REFERENCE_PAIRS,
  DEFAULT_DLE_REFERENCE_PAIRS,
  DEFAULT_DLE_REFIT_INTERVAL_MS,
  resolveDirectLossOptions,
} from './direct-loss-options.js';

describe('resolveDirectLossOptions', () => {
  it('fills in the documented defaults', () => {
    expect(resolveDirectLossOptions()).toEqual({
      referencePairs: DEFAULT_DLE_REFERENCE_PAIRS,
      minReferencePairs: DEFAULT_DLE_MIN_REFERENCE_PAIRS,
      refitIntervalMs: DEFAULT_DLE_REFIT_INTERVAL_MS,
    });
    // A small reference lowers the default minimum to it.
    expect(resolveDirectLossOptions({ referencePairs: 40 }).minReferencePairs).toBe(40);
  });

  it.each([
    [{ referencePairs: -1 }, 'referencePairs: must be an integer in [0, 100000]'],
    [{ referencePairs: 100_001 }, 'referencePairs: must be an integer in [0, 100000]'],
    [{ minReferencePairs: 9 }, 'minReferencePairs: must be an integer from 10 to referencePairs'],
    [
      { referencePairs: 50, minReferencePairs: 60 },
      'minReferencePairs: must be an integer from 10 to referencePairs (50)',
    ],
    [{ refitIntervalMs: 1.5 }, 'refitIntervalMs: must be an integer >= 0'],
  ])('refuses %j, naming the option', (options, message) => {
    expect(() => resolveDirectLossOptions(options)).toThrow(InvalidArgumentError);
    expect(() => resolveDirectLossOptions(options)).toThrow(message);
  });
});
