import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CUDA_PROVIDER_FILES, cudaProviderHint, onnxBindingDir } from './cuda-provider-files.js';

describe('cudaProviderHint', () => {
  const bindingDir = '/opt/ort/bin/napi-v6/linux/x64';

  it('names the provider files that are missing and how to install them', () => {
    const hint = cudaProviderHint({
      bindingDir,
      fileExists: (file) => file === path.join(bindingDir, 'libonnxruntime_providers_shared.so'),
    });
    expect(hint).toBe(
      `libonnxruntime_providers_cuda.so missing in ${bindingDir}: install onnxruntime-node with ` +
        'ONNXRUNTIME_NODE_INSTALL=cuda12 (see deploy/docker/Dockerfile.gpu)',
    );
  });

  it('points at the CUDA libraries when the provider files are there', () => {
    expect(cudaProviderHint({ bindingDir, fileExists: () => true })).toMatch(/CUDA 12 or cuDNN 9 libraries/);
  });

  it('says so when onnxruntime-node cannot be located', () => {
    expect(cudaProviderHint({ bindingDir: undefined, fileExists: () => true })).toBe(
      'onnxruntime-node could not be located',
    );
  });

  it("finds this install's native folder, which holds the binding", () => {
    const dir = onnxBindingDir();
    expect(dir).toBeDefined();
    expect(cudaProviderHint({ bindingDir: dir, fileExists: () => false })).toContain(
      CUDA_PROVIDER_FILES.join(', '),
    );
    expect(path.basename(dir!)).toBe(process.arch);
  });
});
