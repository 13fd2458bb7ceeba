import { InvalidArgumentError } from '@sightline/errors';
import { describe, expect, it } from 'vitest';
import { metricFromMessage } from '../contract/alert-messages.js';
import { type AlertRuleInput, crosses, validateAlertRule } from './alert-rule.js';

const LIMITS = { bucketWidthMs: 60_000, retentionMs: 30 * 86_400_000, segmentNames: ['country'] };
const GOOD: AlertRuleInput = {
  name: 'iris-accuracy',
  series: { modelName: 'iris' },
  metric: 'accuracy',
  comparison: 'lt',
  threshold: 0.8,
};

function refused(change: Partial<Record<keyof AlertRuleInput, unknown>>): string {
  try {
    validateAlertRule({ ...GOOD, ...change } as AlertRuleInput, LIMITS);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentError);
    return (error as Error).message;
  }
  throw new Error('the rule was accepted');
}

describe('validateAlertRule', () => {
  it('fills in the contract defaults', () => {
    expect(validateAlertRule(GOOD, LIMITS)).toEqual({
      ...GOOD,
      classLabel: '',
      windowMs: 3_600_000,
      minSamples: 30,
      forMs: 0,
      labels: {},
      annotations: {},
      useInterval: false,
      confidence: 0.95,
    });
  });

  it('name.format: 1-63 of a-z, 0-9 and -, letters or digits at the ends', () => {
    for (const name of ['', 'Iris', 'iris_accuracy', '-iris', 'iris-', 'a'.repeat(64)])
      expect(refused({ name })).toMatch(/^rule\.name: .*\(rule "name\.format"\)/);
    expect(validateAlertRule({ ...GOOD, name: 'a' }, LIMITS).name).toBe('a');
    expect(validateAlertRule({ ...GOOD, name: 'a'.repeat(63) }, LIMITS).name).toHaveLength(63);
  });

  it('series.model_name: required and bounded', () => {
    expect(refused({ series: { modelName: '' } })).toBe(
      'rule.series.model_name: required (rule "series.model_name_set")',
    );
    expect(refused({ series: { modelName: 'm'.repeat(257) } })).toMatch(
      /^rule\.series\.model_name: must be at most 256/,
    );
  });

  it('segment.name_configured', () => {
    expect(refused({ segment: { name: 'device', value: '' } })).toMatch(
      /^rule\.segment\.name: "device" is not a configured segment \(rule "segment\.name_configured"; configured: country\)/,
    );
  });

  it('rule.metric: an unknown name here, an unknown number in the message', () => {
    expect(refused({ metric: 'accuracy_score' })).toMatch(/^rule\.metric: unknown metric "accuracy_score"/);
    expect(() => metricFromMessage(42)).toThrow('rule.metric: unknown metric 42');
    expect(() => metricFromMessage(0)).toThrow('rule.metric: required (rule "rule.metric")');
    expect(metricFromMessage(1)).toBe('accuracy');
    expect(metricFromMessage(32)).toBe('concept_drift_state');
  });

  it('rule.class_label: required for per-class metrics, forbidden otherwise', () => {
    expect(refused({ metric: 'class_recall' })).toBe(
      'rule.class_label: required for metric class_recall (rule "rule.class_label")',
    );
    expect(refused({ classLabel: 'a' })).toMatch(
      /^rule\.class_label: only per-class metrics take a class label/,
    );
    expect(validateAlertRule({ ...GOOD, metric: 'class_f1', classLabel: 'a' }, LIMITS).classLabel).toBe('a');
  });

  it('rule.comparison', () => {
    expect(refused({ comparison: 'below' })).toMatch(
      /^rule\.comparison: must be one of lt, le, gt, ge, got "below"/,
    );
  });

  it('threshold: finite', () => {
    for (const threshold of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])
      expect(refused({ threshold })).toMatch(/^rule\.threshold: must be a finite number/);
  });

  it('window: between the bucket width and the retention', () => {
    expect(refused({ windowMs: 59_999 })).toBe(
      'rule.window: must be at least the bucket width 60000 ms, got 59999 ms',
    );
    expect(refused({ windowMs: LIMITS.retentionMs + 1 })).toMatch(
      /^rule\.window: must be at most the retention/,
    );
    expect(validateAlertRule({ ...GOOD, windowMs: 60_000 }, LIMITS).windowMs).toBe(60_000);
  });

  it('min_samples and for_duration', () => {
    expect(validateAlertRule({ ...GOOD, minSamples: 0 }, LIMITS).minSamples).toBe(30);
    expect(refused({ minSamples: 1.5 })).toMatch(/^rule\.min_samples: must be a whole number/);
    expect(refused({ forMs: -1 })).toMatch(/^rule\.for_duration: must not be negative/);
  });

  it('labels and annotations: counts, keys, reserved keys, value lengths', () => {
    const many = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v']));
    expect(refused({ labels: many })).toBe('rule.labels: at most 16 pairs, got 17');
    expect(refused({ annotations: many })).toBe('rule.annotations: at most 16 pairs, got 17');
    expect(refused({ labels: { '1team': 'x' } })).toMatch(/^rule\.labels\["1team"\]: keys must be/);
    expect(refused({ labels: { __name__: 'x' } })).toMatch(/^rule\.labels\["__name__"\]: keys must be/);
    expect(refused({ labels: { rule: 'x' } })).toMatch(
      /^rule\.labels\["rule"\]: the alert's series already carry/,
    );
    expect(refused({ labels: { team: 'x'.repeat(257) } })).toMatch(
      /^rule\.labels\["team"\]: must be at most 256/,
    );
    expect(refused({ annotations: { summary: 'x'.repeat(1025) } })).toMatch(
      /^rule\.annotations\["summary"\]: must be at most 1024/,
    );
    const ok = validateAlertRule(
      { ...GOOD, labels: { severity: 'page' }, annotations: { summary: 's' } },
      LIMITS,
    );
    expect(ok.labels).toEqual({ severity: 'page' });
  });

  it('rule.reference_set: required for prediction shift, forbidden otherwise', () => {
    expect(refused({ metric: 'prediction_shift_psi' })).toBe(
      'rule.reference: required for metric prediction_shift_psi (rule "rule.reference_set")',
    );
    expect(refused({ metric: 'prediction_shift_kl', reference: { fromMs: 10, toMs: 10 } })).toMatch(
      /^rule\.reference: must end after it starts/,
    );
    expect(refused({ reference: { fromMs: 0, toMs: 10 } })).toMatch(
      /^rule\.reference: only prediction-shift metrics/,
    );
  });

  it('confidence: in (0, 1)', () => {
    for (const confidence of [0, 1, 1.5, Number.NaN])
      expect(refused({ confidence })).toMatch(/^rule\.confidence: must lie in \(0, 1\)/);
  });

  it('concept_drift_detector only with concept_drift_state', () => {
    expect(refused({ conceptDriftDetector: 'ddm' })).toMatch(
      /^rule\.concept_drift_detector: only concept_drift_state/,
    );
  });

  it('prefixes errors with the caller prefix (a rules file names file and rule)', () => {
    expect(() =>
      validateAlertRule({ ...GOOD, threshold: Number.NaN }, LIMITS, 'rules.yaml: rules[3] (x)'),
    ).toThrow(/^rules\.yaml: rules\[3\] \(x\)\.threshold: /);
  });
});

describe('crosses', () => {
  it('compares as the contract says', () => {
    expect([crosses('lt', 1, 1), crosses('le', 1, 1), crosses('gt', 1, 1), crosses('ge', 1, 1)]).toEqual([
      false,
      true,
      false,
      true,
    ]);
    expect([crosses('lt', 0.5, 1), crosses('gt', 0.5, 1)]).toEqual([true, false]);
  });
});
