import { createRequire } from 'node:module';
import { cpus, platform, release, totalmem } from 'node:os';

/** The facts a benchmark figure depends on, printed first and stored with the results. */
export interface MachineFacts {
  readonly cpuModel: string;
  readonly cores: number;
  readonly totalMemoryBytes: number;
  readonly nodeVersion: string;
  readonly platform: string;
  readonly release: string;
  readonly onnxruntimeVersion: string;
}

/** Reads the machine's facts now. */
export function readMachineFacts(): MachineFacts {
  const cpuList = cpus();
  return {
    cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
    cores: cpuList.length,
    totalMemoryBytes: totalmem(),
    nodeVersion: process.version,
    platform: platform(),
    release: release(),
    onnxruntimeVersion: packageVersion('onnxruntime-node'),
  };
}

function packageVersion(name: string): string {
  try {
    const require = createRequire(import.meta.url);
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
