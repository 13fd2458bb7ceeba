import { InvalidArgumentError } from '@sightline/errors';
import { describe, expect, it } from 'vitest';
import { parseRepositoryLocation } from './repository-location.js';

describe('parseRepositoryLocation', () => {
  it('keeps a local path as it is', () => {
    expect(parseRepositoryLocation('examples/models')).toEqual({ kind: 'local', path: 'examples/models' });
  });

  it('splits s3:// and gs:// into bucket and a prefix ending in /', () => {
    expect(parseRepositoryLocation('s3://models/prod/repo')).toEqual({
      kind: 's3',
      uri: 's3://models/prod/repo/',
      bucket: 'models',
      prefix: 'prod/repo/',
    });
    expect(parseRepositoryLocation('gs://my_models')).toEqual({
      kind: 'gs',
      uri: 'gs://my_models/',
      bucket: 'my_models',
      prefix: '',
    });
  });

  it('takes http(s) URLs as the base the manifest and files are under', () => {
    const location = parseRepositoryLocation('https://example.com/models');
    expect(location).toMatchObject({ kind: 'http', uri: 'https://example.com/models/' });
  });

  it.each([
    ['s3://A/x', /bucket "A" of s3:\/\/ must be 3 to 63/],
    ['s3://models/../x', /must not hold "\.\."/],
    ['s3://models/a//b', /empty parts/],
    ['ftp://host/x', /scheme "ftp" is not supported/],
    ['https://example.com/m?x=1', /no query or fragment/],
  ])('refuses %s naming the flag and the rule', (value, rule) => {
    expect(() => parseRepositoryLocation(value)).toThrow(InvalidArgumentError);
    expect(() => parseRepositoryLocation(value)).toThrow(rule);
    expect(() => parseRepositoryLocation(value)).toThrow(/^--repository: /);
  });
});
