import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * The files onnxruntime-node needs beside its binding to use the CUDA execution provider.
 * They are not in the npm package (too large for the registry): its install script fetches
 * them from NuGet when `ONNXRUNTIME_NODE_INSTALL=cuda12` is set (deploy/docker/Dockerfile.gpu).
 */
export const CUDA_PROVIDER_FILES = [
  'libonnxruntime_providers_shared.so',
  'libonnxruntime_providers_cuda.so',
] as const;

/** Where the provider files are looked for; injectable so tests can pretend either way. */
export interface ProviderFilesProbe {
  /** The folder holding onnxruntime-node's native binding, or undefined when unknown. */
  readonly bindingDir: string | undefined;
  readonly fileExists: (file: string) => boolean;
}

/** onnxruntime-node's native folder for this platform, as its binding loader computes it. */
export function onnxBindingDir(): string | undefined {
  try {
    const packageJson = createRequire(import.meta.url).resolve('onnxruntime-node/package.json');
    return path.join(path.dirname(packageJson), 'bin', 'napi-v6', process.platform, process.arch);
  } catch {
    return undefined;
  }
}

/**
 * Why the CUDA execution provider probably failed, in words an operator can act on.
 * ONNX Runtime's own error is only "Failed to load shared library" (the dlopen detail goes to
 * its log on stderr), which does not say whether the provider files or the CUDA libraries
 * are missing; this tells the two apart.
 */
export function cudaProviderHint(
  probe: ProviderFilesProbe = { bindingDir: onnxBindingDir(), fileExists: existsSync },
): string {
  if (probe.bindingDir === undefined) return 'onnxruntime-node could not be located';
  const missing = CUDA_PROVIDER_FILES.filter((file) => !probe.fileExists(path.join(probe.bindingDir!, file)));
  if (missing.length > 0) {
    return (
      `${missing.join(', ')} missing in ${probe.bindingDir}: install onnxruntime-node with ` +
      'ONNXRUNTIME_NODE_INSTALL=cuda12 (see deploy/docker/Dockerfile.gpu)'
    );
  }
  return (
    'the provider files are installed, so CUDA 12 or cuDNN 9 libraries are likely missing from the ' +
    "library path (ONNX Runtime's log on stderr names the one)"
  );
}
