import { InvalidArgumentError } from '@sightline/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkDetectorLabels, MAX_LABEL_KEY_LENGTH, MAX_LABEL_VALUE_LENGTH } from './detector-labels.js';

describe('checkDetectorLabels', () => {
  it('accepts labels within the bounds (property)', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.string({ minLength: 1, maxLength: MAX_LABEL_KEY_LENGTH }),
          fc.string({ maxLength: MAX_LABEL_VALUE_LENGTH }),
          { maxKeys: 16 },
        ),
        (labels) => {
          expect(() => checkDetectorLabels(labels, 16)).not.toThrow();
        },
      ),
    );
  });

  it('refuses too many pairs, a long or empty key and a long value, naming labels and the rule', () => {
    expect(() => checkDetectorLabels({ a: '1', b: '2' }, 1)).toThrow('labels: 2 pairs; at most 1');
    expect(() => checkDetectorLabels({ ['k'.repeat(64)]: 'v' }, 16)).toThrow(
      /labels: key .* has 64 characters; a key has 1 to 63/,
    );
    expect(() => checkDetectorLabels({ '': 'v' }, 16)).toThrow(/labels.key_length/);
    const big = () => checkDetectorLabels({ team: 'x'.repeat(1_000_000) }, 16);
    expect(big).toThrow(InvalidArgumentError);
    expect(big).toThrow(
      'labels: the value of "team" has 1000000 characters; at most 256 (rule "labels.value_length")',
    );
  });
});
