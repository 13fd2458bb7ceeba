import { existsSync } from 'node:fs';

/** What GPU detection looks at; injectable so tests can pretend either way. */
export interface GpuProbe {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly fileExists: (path: string) => boolean;
}

/** The device node the NVIDIA driver creates for the first GPU. */
export const NVIDIA_DEVICE_FILE = '/dev/nvidia0';

/**
 * True when the node looks like it has an NVIDIA GPU: the driver's device file exists, or
 * the NVIDIA container runtime exposed devices (NVIDIA_VISIBLE_DEVICES other than
 * `void`/`none`). It is a hint for `device: auto`, not a promise that CUDA loads: the
 * runtimes still fall back to the CPU when it does not.
 */
export function detectGpu(probe: GpuProbe = { env: process.env, fileExists: existsSync }): boolean {
  const visible = probe.env.NVIDIA_VISIBLE_DEVICES?.trim();
  if (visible !== undefined && visible !== '' && visible !== 'void' && visible !== 'none') return true;
  return probe.fileExists(NVIDIA_DEVICE_FILE);
}
