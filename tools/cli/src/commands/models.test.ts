import { describe, expect, it } from 'vitest';
import { renderSections } from '../frame/output.js';
import { metadataResult } from './models.js';

const metadata = {
  name: 'iris',
  versions: ['3'],
  platform: 'onnxruntime_onnx',
  inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }],
  outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 3] }],
  parameters: {
    source_uri: 's3://models/prod/iris/3/',
    'lineage.code_revision': '4f2c9e1',
    'lineage.training_data.hash': `sha256:${'ab'.repeat(32)}`,
  },
};

describe('models get', () => {
  it('shows the source URI and each lineage key under its own heading', () => {
    const shown = renderSections(metadataResult(metadata).human(), false);
    expect(shown).toMatch(/source\s+s3:\/\/models\/prod\/iris\/3\//);
    expect(shown).toMatch(/lineage/);
    expect(shown).toMatch(/code_revision\s+4f2c9e1/);
    expect(shown).toMatch(/training_data\.hash\s+sha256:abab/);
    expect(shown).toMatch(/inputs\s+input FP32 \[-1, 4\]/);
  });

  it('says when no lineage is recorded, and prints the metadata as it is in JSON', () => {
    const bare = { ...metadata, parameters: {} };
    expect(renderSections(metadataResult(bare).human(), false)).toContain('lineage: none recorded');
    expect(metadataResult(bare).json).toEqual(bare);
  });
});
