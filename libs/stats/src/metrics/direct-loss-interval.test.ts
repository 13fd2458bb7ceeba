import { describe, expect, it } from 'vitest';
import {
  addDirectLossFitVariance,
  addDirectLossVariance,
  directLossEstimateIntervals,
  directLossGapIntervals,
  directLossVariance,
} from './direct-loss-interval.js';
import { normalQuantile } from './distribution-quantiles.js';

const SAMPLING = { referenceRows: 400, absoluteResidualSd: 0.5, squaredResidualSd: 2 };
const Z = normalQuantile(0.975);

describe('DLE intervals', () => {
  it('add over series: each series’ rows and fit error, as one sum of n_s² variances', () => {
    const variance = directLossVariance();
    addDirectLossVariance(variance, SAMPLING, 100);
    addDirectLossVariance(variance, { ...SAMPLING, referenceRows: 100, absoluteResidualSd: 1 }, 50);
    expect(variance.absolute).toBeCloseTo(0.25 * (100 + 100 ** 2 / 400) + 1 * (50 + 50 ** 2 / 100), 12);
    const fit = directLossVariance();
    addDirectLossFitVariance(fit, SAMPLING, 100);
    expect(fit.squared).toBeCloseTo(4 * (100 ** 2 / 400), 12);
  });

  it('estimate: MAE ± z SE (low end at least 0), RMSE by the delta method; none for an RMSE of 0', () => {
    const variance = directLossVariance();
    addDirectLossVariance(variance, SAMPLING, 100);
    const got = directLossEstimateIntervals({ mae: 0.8, rmse: 1.1 }, 100, variance);
    const maeSe = 0.5 * Math.sqrt(1 / 100 + 1 / 400);
    const mseSe = 2 * Math.sqrt(1 / 100 + 1 / 400);
    expect(got.mae!.low).toBeCloseTo(0.8 - Z * maeSe, 12);
    expect(got.mae!.high).toBeCloseTo(0.8 + Z * maeSe, 12);
    expect(got.rmse!.high - 1.1).toBeCloseTo((Z * mseSe) / 2.2, 12);
    expect(got.rmse!.method).toBe('delta');
    expect(directLossEstimateIntervals({ mae: 0.01, rmse: 0.01 }, 100, variance).mae!.low).toBe(0);
    expect(directLossEstimateIntervals({ mae: 0, rmse: 0 }, 100, variance).rmse).toBeUndefined();
  });

  it('gap: the realised standard errors and the fit error combined; none below two labelled rows', () => {
    const fit = directLossVariance();
    addDirectLossFitVariance(fit, SAMPLING, 100);
    const realised = { count: 100, rmse: 1.2, standardErrors: { mae: 0.06, mse: 0.3 } };
    const got = directLossGapIntervals({ mae: -0.05, rmse: 0.1 }, realised, 1.1, fit);
    const maeSe = Math.sqrt(0.06 ** 2 + 0.25 / 400);
    expect(got.mae!.low).toBeCloseTo(-0.05 - Z * maeSe, 12);
    const rmseSe = Math.hypot(0.3 / 2.4, Math.sqrt(4 / 400) / 2.2);
    expect(got.rmse!.high).toBeCloseTo(0.1 + Z * rmseSe, 12);
    const one = { count: 1, rmse: 1, standardErrors: { mae: Number.NaN, mse: Number.NaN } };
    expect(directLossGapIntervals({ mae: 0, rmse: 0 }, one, 1, fit)).toEqual({});
  });

  it('refuses a bad level, row count or variance, naming it', () => {
    const variance = directLossVariance();
    expect(() => directLossEstimateIntervals({ mae: 1, rmse: 1 }, 0, variance)).toThrow(
      /^rows: expected an integer >= 1, got 0$/,
    );
    expect(() =>
      directLossEstimateIntervals({ mae: 1, rmse: 1 }, 5, { absolute: Number.NaN, squared: 0 }),
    ).toThrow(/^variance.absolute: expected a finite number >= 0, got NaN$/);
    expect(() => directLossEstimateIntervals({ mae: 1, rmse: 1 }, 5, variance, 1)).toThrow(/^confidence/);
  });
});
