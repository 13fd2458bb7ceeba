import { InvalidArgumentError, NotFoundError } from '@sightline/errors';
import { describe, expect, it } from 'vitest';
import {
  checkSettingsForKind,
  namingFlag,
  selectorFromFlags,
  settingsConflicts,
  settingsFromFlags,
  windowFromFlags,
} from './drift-flags.js';

describe('settingsFromFlags', () => {
  it('keeps only the flags given, typed', () => {
    expect(settingsFromFlags({})).toEqual({});
    expect(
      settingsFromFlags({ kind: 'mmd', pVal: '0.01', permutations: '200', seed: '18446744073709551615' }),
    ).toEqual({ kind: 'mmd', pVal: 0.01, permutations: 200, seed: 18446744073709551615n });
  });

  it.each([
    [{ kind: 'kss' }, /^--kind: expected one of tabular, ks, /],
    [{ pVal: '1' }, '--p-val: expected a number between 0 and 1 (exclusive), got "1"'],
    [{ pVal: 'x' }, '--p-val: expected a number between 0 and 1'],
    [{ permutations: '5' }, '--permutations: expected a whole number from 10 to 100000, got "5"'],
    [{ seed: '-1' }, '--seed: expected a whole number from 0 to 2^64-1, got "-1"'],
    [{ seed: '18446744073709551616' }, '--seed: expected a whole number from 0 to 2^64-1'],
    [{ ert: '0' }, '--ert: expected a positive number, got "0"'],
    [{ windowSize: '10,,20' }, '--window-size: expected names separated by commas'],
  ])('refuses %j, naming the flag', (flags, message) => {
    expect(() => settingsFromFlags(flags)).toThrow(message);
  });
});

describe('checkSettingsForKind', () => {
  it('refuses a flag the kind has no setting for, naming the kinds that have it', () => {
    expect(() => checkSettingsForKind({ permutations: 100 }, 'tabular')).toThrow(
      '--permutations: applies to --kind mmd|lsdd, not tabular',
    );
    expect(() => checkSettingsForKind({ method: 'exact' }, 'cvm')).toThrow(
      '--method: applies to --kind tabular|ks, not cvm',
    );
  });

  it('reads --window-size as online-mmd its one size and online-cvm its list', () => {
    expect(checkSettingsForKind({ ert: 50, windowSizes: [10] }, 'online-mmd')).toEqual({
      kind: 'online-mmd',
      ert: 50,
      windowSize: 10,
    });
    expect(checkSettingsForKind({ windowSizes: [10, 20] }, 'online-cvm')).toEqual({
      kind: 'online-cvm',
      windowSizes: [10, 20],
    });
    expect(() => checkSettingsForKind({ windowSizes: [10, 20] }, 'online-mmd')).toThrow(
      'takes one window size, got 2',
    );
  });
});

describe('settingsConflicts', () => {
  it('lists the flags given whose value differs from the saved settings', () => {
    const saved = { kind: 'mmd', pVal: 0.05, permutations: 100, seed: 42n } as const;
    expect(settingsConflicts({ kind: 'mmd', pVal: 0.05, seed: 42n }, saved)).toEqual([]);
    expect(settingsConflicts({ kind: 'mmd', permutations: 200 }, saved)).toEqual([
      { flag: '--permutations', given: '200', saved: '100' },
    ]);
  });
});

describe('selectorFromFlags and windowFromFlags', () => {
  it('turns the flags into a selector, lists split at commas', () => {
    expect(
      selectorFromFlags({
        model: 'iris',
        version: '2',
        graph: 'g',
        tensor: 'input',
        columns: 'a, b,c',
        side: 'response',
      }),
    ).toEqual({
      modelName: 'iris',
      modelVersion: '2',
      graph: 'g',
      tensors: ['input'],
      columnNames: ['a', 'b', 'c'],
      side: 'response',
    });
    expect(() => selectorFromFlags({})).toThrow('--model: required');
  });

  it('turns the flags into a window; none given is none', () => {
    expect(windowFromFlags({})).toBeUndefined();
    expect(
      windowFromFlags({ maxRows: '500', maxDuration: '5m', minRows: '10', sliding: true, slideRows: '100' }),
    ).toEqual({
      maxRows: 500,
      maxDurationMs: 300_000,
      minRows: 10,
      mode: 'sliding',
      slideRows: 100,
    });
    expect(() => windowFromFlags({ slideRows: '1' })).toThrow('--slide-rows: only with --sliding');
    expect(() => windowFromFlags({ maxRows: '0' })).toThrow('--max-rows: expected a whole number from 1');
    expect(() => windowFromFlags({ maxDuration: 'soon' })).toThrow('--max-duration: expected a duration');
  });
});

describe('namingFlag', () => {
  it("puts the flag before the service's refusal of an online field, and leaves other errors", () => {
    const few = new InvalidArgumentError('config.mmd_online.n_bootstraps: 50 simulations leave 20 streams');
    expect(namingFlag(few)).toMatchObject({
      message: '--bootstraps: config.mmd_online.n_bootstraps: 50 simulations leave 20 streams',
      field: '--bootstraps',
    });
    const twice = new InvalidArgumentError('config.cvm_online.window_sizes: each size once');
    expect((namingFlag(twice) as Error).message).toMatch(/^--window-size: config\.cvm_online\.window_sizes/);
    const other = new InvalidArgumentError('data: 3 rows');
    expect(namingFlag(other)).toBe(other);
    const missing = new NotFoundError('config.mmd_online.ert: x');
    expect(namingFlag(missing)).toBe(missing);
  });
});
