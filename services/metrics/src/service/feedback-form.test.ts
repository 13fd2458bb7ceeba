import { InvalidArgumentError, ResourceExhaustedError } from '@sightline/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FEEDBACK_FORM_LIMITS, expandFeedback, type FeedbackItemInput } from './feedback-form.js';

const NOW = 1_800_000_000_000;
const bytes = (s: string) => new TextEncoder().encode(s);

describe('expandFeedback', () => {
  it('expands label lists and tensors into consecutive rows, keeping the item index', () => {
    const rows = expandFeedback(
      [
        { requestId: 'a', modelName: '', truth: { kind: 'labels', labels: ['x', 'y'] }, row: 3 },
        {
          requestId: 'b',
          modelName: 'm',
          truth: {
            kind: 'tensor',
            tensor: { name: 't', datatype: 'BYTES', shape: [2], data: [bytes('p'), bytes('q')] },
          },
        },
        {
          requestId: 'c',
          modelName: '',
          truth: {
            kind: 'tensor',
            tensor: { name: 't', datatype: 'FP32', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) },
          },
        },
        {
          requestId: 'd',
          modelName: '',
          truth: {
            kind: 'tensor',
            tensor: { name: 't', datatype: 'INT64', shape: [1], data: new BigInt64Array([2n]) },
          },
        },
      ],
      NOW,
    );
    expect(rows.map((r) => [r.item, r.record.requestId, r.record.row, r.record.truth])).toEqual([
      [0, 'a', 3, { kind: 'label', label: 'x' }],
      [0, 'a', 4, { kind: 'label', label: 'y' }],
      [1, 'b', 0, { kind: 'label', label: 'p' }],
      [1, 'b', 1, { kind: 'label', label: 'q' }],
      [2, 'c', 0, { kind: 'value', values: [1, 2] }],
      [2, 'c', 1, { kind: 'value', values: [3, 4] }],
      [3, 'd', 0, { kind: 'label', label: '2' }],
    ]);
    expect(rows.every((r) => r.record.receivedMs === NOW && r.record.observedMs === NOW)).toBe(true);
  });

  it('refuses what breaks a rule, naming items[i] and the field', () => {
    const bad: [FeedbackItemInput, RegExp][] = [
      [
        { requestId: 'r\ud800', modelName: '', truth: { kind: 'label', label: 'a' } },
        /^items\[0\]\.request_id: must be well-formed/,
      ],
      [
        { requestId: 'r', modelName: 'm\u0000', truth: { kind: 'label', label: 'a' } },
        /^items\[0\]\.model_name: must not contain NUL/,
      ],
      [
        { requestId: 'x'.repeat(257), modelName: '', truth: { kind: 'label', label: 'a' } },
        /^items\[0\]\.request_id: must have at most 256/,
      ],
      [
        { requestId: 'r', modelName: '', truth: { kind: 'label', label: '' } },
        /^items\[0\]\.label: must not be empty/,
      ],
      [
        { requestId: 'r', modelName: '', truth: { kind: 'reward', reward: Number.POSITIVE_INFINITY } },
        /^items\[0\]\.reward: must be finite/,
      ],
      [
        { requestId: 'r', modelName: '', truth: { kind: 'labels', labels: Array(4097).fill('a') } },
        /^items\[0\]\.row: must be below 4096, got 4096/,
      ],
      [
        {
          requestId: 'r',
          modelName: '',
          truth: { kind: 'label', label: 'a' },
          observeTimeMs: NOW + 6 * 60_000,
        },
        /observe_time_future/,
      ],
      [
        {
          requestId: 'r',
          modelName: '',
          truth: {
            kind: 'tensor',
            tensor: { name: 't', datatype: 'BOOL', shape: [1], data: new Uint8Array([1]) },
          },
        },
        /^items\[0\]\.tensor: datatype BOOL is not a truth/,
      ],
      [
        {
          requestId: 'r',
          modelName: '',
          truth: {
            kind: 'tensor',
            tensor: { name: 't', datatype: 'BYTES', shape: [1], data: [new Uint8Array([0xff])] },
          },
        },
        /^items\[0\]\.tensor\[0\]: must be UTF-8/,
      ],
    ];
    for (const [item, message] of bad) {
      expect(() => expandFeedback([item], NOW)).toThrow(InvalidArgumentError);
      expect(() => expandFeedback([item], NOW)).toThrow(message);
    }
  });

  it('refuses more rows than --max-feedback-per-call as RESOURCE_EXHAUSTED', () => {
    const items = Array.from({ length: 3 }, (_, i) => ({
      requestId: `r${i}`,
      modelName: '',
      truth: { kind: 'labels' as const, labels: ['a', 'b'] },
    }));
    expect(() =>
      expandFeedback(items, NOW, { ...DEFAULT_FEEDBACK_FORM_LIMITS, maxFeedbackPerCall: 5 }),
    ).toThrow(ResourceExhaustedError);
    expect(
      expandFeedback(items, NOW, { ...DEFAULT_FEEDBACK_FORM_LIMITS, maxFeedbackPerCall: 6 }),
    ).toHaveLength(6);
  });

  it('gives one row per label of any list, in order', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc
            .string({ minLength: 1, maxLength: 8 })
            .filter((s) => !/[\ud800-\udfff]/.test(s) && !s.includes(String.fromCharCode(0))),
          { minLength: 1, maxLength: 40 },
        ),
        fc.nat({ max: 4000 }),
        (labels, row) => {
          const rows = expandFeedback(
            [{ requestId: 'r', modelName: '', row, truth: { kind: 'labels', labels } }],
            NOW,
          );
          expect(rows.map((r) => r.record.row)).toEqual(labels.map((_, k) => row + k));
          expect(rows.map((r) => (r.record.truth as { label: string }).label)).toEqual(labels);
        },
      ),
    );
  });
});
