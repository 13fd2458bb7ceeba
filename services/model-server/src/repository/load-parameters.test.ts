import { InvalidArgumentError } from '@sightline/errors';
import { describe, expect, it } from 'vitest';
import { parseLoadParameters } from './load-parameters.js';

describe('RepositoryModelLoad parameters', () => {
  it('takes a config override as a string', () => {
    expect(parseLoadParameters({})).toEqual({});
    expect(parseLoadParameters({ config: '{}' })).toEqual({ overrideConfigJson: '{}' });
  });

  it('refuses an unknown parameter naming it, and config that is not a string', () => {
    expect(() => parseLoadParameters({ confg: '{}' })).toThrow(
      new InvalidArgumentError(
        'parameters["confg"]: unknown parameter; RepositoryModelLoad takes only "config"',
      ),
    );
    expect(() => parseLoadParameters({ 'file:1/model.onnx': new Uint8Array(1) })).toThrow(
      /^parameters\["file:1\/model.onnx"\]: unknown parameter; .*\(model files in the request are not supported\)$/,
    );
    expect(() => parseLoadParameters({ config: true })).toThrow(
      /parameters\["config"\]: must be a string_param/,
    );
  });
});
