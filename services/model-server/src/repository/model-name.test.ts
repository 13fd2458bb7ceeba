import { InvalidArgumentError } from '@sightline/errors';
import { describe, expect, it } from 'vitest';
import { assertModelName, isModelName, MODEL_NAME_MAX_LENGTH } from './model-name.js';

describe('model names', () => {
  it('accepts letters, digits, "_", "." and "-" up to the limit, not starting with "."', () => {
    for (const name of [
      'iris',
      'iris.v2',
      'iris_v2',
      'Iris-2',
      '_x',
      '-x',
      'y'.repeat(MODEL_NAME_MAX_LENGTH),
    ]) {
      expect(isModelName(name), name).toBe(true);
    }
    for (const name of ['', '.x', '..', 'a/b', 'a b', 'é', 'y'.repeat(MODEL_NAME_MAX_LENGTH + 1)]) {
      expect(isModelName(name), name).toBe(false);
    }
  });

  it('refuses a 30 MB name with a message of bounded size naming the field', () => {
    const name = 'y'.repeat(30 * 1024 * 1024);
    let message = '';
    try {
      assertModelName(name, 'model_name');
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidArgumentError);
      message = (error as Error).message;
    }
    expect(message).toMatch(/^model_name "y{64}"\.\.\. \(31457280 characters\): must be 1 to 128 characters/);
    expect(message.length).toBeLessThan(300);
  });
});
