import { InvalidArgumentError, NotFoundError } from '@sightline/errors';
import { describe, expect, it } from 'vitest';
import { filesystemError } from './contained-path.js';

const systemError = (code: string) =>
  Object.assign(new Error(`${code}: something, stat '/abs/path/models/x'`), { code });

describe('filesystemError', () => {
  it('turns ENAMETOOLONG and ELOOP into InvalidArgumentError naming the model and the relative path only', () => {
    const long = filesystemError(systemError('ENAMETOOLONG'), 'x/1/model.onnx', 'model "x"');
    expect(long).toBeInstanceOf(InvalidArgumentError);
    expect((long as Error).message).toBe('model "x": x/1/model.onnx is a path too long for the filesystem');
    const loop = filesystemError(systemError('ELOOP'), 'x', 'model "x"');
    expect(loop).toBeInstanceOf(InvalidArgumentError);
    expect((loop as Error).message).not.toContain('/abs/path');
  });

  it('turns ENOENT into NotFoundError and leaves other errors as they are', () => {
    expect(filesystemError(systemError('ENOENT'), 'x', 'model "x"')).toBeInstanceOf(NotFoundError);
    const other = systemError('EIO');
    expect(filesystemError(other, 'x', 'model "x"')).toBe(other);
  });
});
