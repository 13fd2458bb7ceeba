import { describe, expect, it } from 'vitest';
import { NO_PROGRESS } from '../frame/progress.js';
import { needsMetadata, parseInputFlags, readInputs, resolveTensors } from './infer-inputs.js';

const IRIS = [{ name: 'input', datatype: 'FP32' as const, shape: [-1, 4] }];

describe('infer inputs', () => {
  it('reads --input as an unnamed nested array or NAME=JSON', () => {
    expect(parseInputFlags(['[[1,2]]'])[0]).toMatchObject({ shape: [1, 2] });
    expect(parseInputFlags(['a=[1]', 'b_2=[[true]]']).map((i) => i.name)).toEqual(['a', 'b_2']);
  });

  it('names an unnamed input from --input-name or the metadata, and types it from the metadata', () => {
    const inputs = parseInputFlags(['[[5.1,3.5,1.4,0.2]]']);
    expect(needsMetadata(inputs, {})).toBe(true);
    const [tensor] = resolveTensors(inputs, {}, IRIS, 'iris');
    expect(tensor).toMatchObject({ name: 'input', datatype: 'FP32', shape: [1, 4] });
    expect(resolveTensors(inputs, { inputName: 'x', datatype: 'fp64' }, [], 'iris')[0]).toMatchObject({
      name: 'x',
      datatype: 'FP64',
    });
  });

  it('skips the metadata when every input is named and typed', () => {
    expect(
      needsMetadata(parseInputFlags(['{"inputs":[{"name":"a","datatype":"INT32","data":[1]}]}']), {}),
    ).toBe(false);
    expect(needsMetadata(parseInputFlags(['a=[1]']), { datatype: 'FP32' })).toBe(false);
  });

  it('says what is missing in one sentence', async () => {
    await expect(readInputs({}, NO_PROGRESS)).rejects.toThrow(
      'give the inputs with --input JSON or --input-file PATH',
    );
    await expect(readInputs({ input: ['[1]'], inputFile: 'x.json' }, NO_PROGRESS)).rejects.toThrow(
      '--input and --input-file: give one or the other',
    );
    await expect(readInputs({ inputFile: 'x.txt' }, NO_PROGRESS)).rejects.toThrow(
      'cannot tell the format from the extension',
    );
    await expect(readInputs({ input: ['[1]'], csvColumns: 'a' }, NO_PROGRESS)).rejects.toThrow(
      'only apply with --input-file',
    );
    const two = parseInputFlags(['[1]', '[2]']);
    expect(() => resolveTensors(two, {}, IRIS, 'iris')).toThrow(
      'model "iris" declares 1 input(s), fewer than given',
    );
    expect(() => resolveTensors(two, { inputName: 'x' }, IRIS, 'iris')).toThrow(
      '--input-name: names one unnamed input, but 2 were given',
    );
    expect(() => resolveTensors(parseInputFlags(['[1]']), {}, [], 'm')).toThrow(
      'model "m" declares no inputs to name this one; pass --input-name',
    );
    expect(() => resolveTensors(parseInputFlags(['[1]']), { datatype: 'float' }, IRIS, 'iris')).toThrow(
      '--datatype: "float" is not a V2 datatype',
    );
  });
});
