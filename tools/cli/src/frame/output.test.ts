import { describe, expect, it } from 'vitest';
import { formatJsonDocument, toJsonValue } from './json-document.js';
import { fields, Output, renderSections, shouldColor, table } from './output.js';

function capture(json: boolean, color = false): { output: Output; text: () => string } {
  let written = '';
  return {
    output: new Output({ json, color, write: (chunk) => (written += chunk) }),
    text: () => written,
  };
}

describe('Output', () => {
  const result = {
    json: { models: [{ name: 'iris', version: 1n }] },
    human: () => [table(['model', 'version'], [['iris', 1n]])],
  };

  it('prints one JSON document under --json', () => {
    const { output, text } = capture(true);
    output.print(result);
    expect(JSON.parse(text())).toEqual({ models: [{ name: 'iris', version: 1 }] });
    expect(text().endsWith('}\n')).toBe(true);
  });

  it('prints a table without escape codes when colors are off', () => {
    const { output, text } = capture(false);
    output.print(result);
    expect(text()).toContain('│ iris  │ 1       │');
    expect(text()).not.toContain('\u001b[');
  });

  it('colors headers only when asked to', () => {
    const { output, text } = capture(false, true);
    output.print(result);
    expect(text()).toContain('\u001b[');
  });

  it('says (none) for an empty table, and prints fields as aligned name/value lines', () => {
    expect(renderSections([table(['a'], [], 'things')], false)).toBe('things\n(none)\n');
    expect(
      renderSections(
        [
          fields([
            ['model', 'iris'],
            ['version', '1'],
          ]),
        ],
        false,
      ),
    ).toBe('model    iris\nversion  1\n');
  });

  it('prints NDJSON lines for streams', () => {
    const { output, text } = capture(true);
    output.printLine({ a: 1n });
    output.printLine({ b: 'x' });
    expect(text()).toBe('{"a":1}\n{"b":"x"}\n');
  });
});

describe('shouldColor', () => {
  it('colors a terminal only, and never with NO_COLOR or TERM=dumb', () => {
    expect(shouldColor({ isTTY: true }, {})).toBe(true);
    expect(shouldColor({ isTTY: false }, {})).toBe(false);
    expect(shouldColor({}, {})).toBe(false);
    expect(shouldColor({ isTTY: true }, { NO_COLOR: '' })).toBe(false);
    expect(shouldColor({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
  });
});

describe('toJsonValue', () => {
  it('turns bigints, typed arrays, dates, maps and non-finite numbers into JSON', () => {
    expect(
      toJsonValue({
        small: 5n,
        big: 2n ** 60n,
        floats: new Float32Array([0.5, 1]),
        ints: new BigInt64Array([1n, -(2n ** 62n)]),
        when: new Date('2026-01-02T03:04:05.000Z'),
        map: new Map([['k', 1]]),
        nan: Number.NaN,
        gone: undefined,
      }),
    ).toEqual({
      small: 5,
      big: '1152921504606846976',
      floats: [0.5, 1],
      ints: [1, '-4611686018427387904'],
      when: '2026-01-02T03:04:05.000Z',
      map: { k: 1 },
      nan: 'NaN',
    });
    expect(formatJsonDocument([1])).toBe('[\n  1\n]\n');
  });
});
