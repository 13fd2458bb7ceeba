import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type IntegrationRule, quadrature } from './quadrature.js';

const PYTHON = '/usr/bin/python3';
const hasPython = existsSync(PYTHON);

/** numpy's leggauss for each n, scaled to [0, 1] as Alibi scales it: (alphas, step sizes). */
function numpyGaussLegendre(ns: readonly number[]): { alphas: number[]; stepSizes: number[] }[] {
  const script = [
    'import json, sys, numpy as np',
    'rules = [np.polynomial.legendre.leggauss(int(n)) for n in sys.argv[1:]]',
    'print(json.dumps([{"alphas": list(0.5 * (1 + x)), "stepSizes": list(0.5 * w)} for x, w in rules]))',
  ].join('\n');
  return JSON.parse(execFileSync(PYTHON, ['-c', script, ...ns.map(String)], { encoding: 'utf8' }));
}

describe('quadrature', () => {
  it.skipIf(!hasPython)('gives numpy leggauss nodes and weights scaled to [0, 1], as Alibi', () => {
    const ns = [1, 2, 3, 8, 50, 257];
    const references = numpyGaussLegendre(ns);
    for (const [index, n] of ns.entries()) {
      const ours = quadrature('gauss-legendre', n);
      const reference = references[index]!;
      for (let i = 0; i < n; i++) {
        expect(ours.alphas[i]).toBeCloseTo(reference.alphas[i]!, 13);
        expect(ours.stepSizes[i]).toBeCloseTo(reference.stepSizes[i]!, 13);
      }
    }
  });

  it('integrates polynomials of degree 2n - 1 exactly with n Gauss-Legendre points', () => {
    const n = 6;
    const { alphas, stepSizes } = quadrature('gauss-legendre', n);
    for (let degree = 0; degree <= 2 * n - 1; degree++) {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += stepSizes[i]! * alphas[i]! ** degree;
      expect(sum).toBeCloseTo(1 / (degree + 1), 13);
    }
  });

  it('gives increasing points and weights summing to 1 for 2,000 points', () => {
    const { stepSizes, alphas } = quadrature('gauss-legendre', 2_000);
    expect(stepSizes.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
    expect(alphas[0]).toBeGreaterThan(0);
    expect(alphas[1_999]).toBeLessThan(1);
    for (let i = 1; i < alphas.length; i++) expect(alphas[i]!).toBeGreaterThan(alphas[i - 1]!);
  });

  it('gives the Riemann points as numpy linspace in Alibi, trapezoid halving the end weights', () => {
    const n = 4;
    const expected: Record<Exclude<IntegrationRule, 'gauss-legendre'>, number[]> = {
      'riemann-left': [0, 0.25, 0.5, 0.75],
      'riemann-right': [0.25, 0.5, 0.75, 1],
      'riemann-middle': [0.125, 0.375, 0.625, 0.875],
      'riemann-trapezoid': [0, 1 / 3, 2 / 3, 1],
    };
    for (const [rule, alphas] of Object.entries(expected)) {
      const q = quadrature(rule as IntegrationRule, n);
      expect(Array.from(q.alphas)).toEqual(alphas);
      expect(Array.from(q.stepSizes)).toEqual(
        rule === 'riemann-trapezoid' ? [0.125, 0.25, 0.25, 0.125] : [0.25, 0.25, 0.25, 0.25],
      );
    }
  });

  it('refuses fewer steps than the rule needs', () => {
    expect(() => quadrature('riemann-left', 1)).toThrow(RangeError);
    expect(() => quadrature('gauss-legendre', 0)).toThrow(RangeError);
    expect(quadrature('gauss-legendre', 1).alphas[0]).toBeCloseTo(0.5, 15);
  });
});
