import { createRequire } from 'node:module';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';

/** The facts a benchmark figure depends on, printed first and stored with the results. */
export interface MachineFacts {
  readonly cpuModel: string;
  readonly cores: number;
  readonly totalMemoryBytes: number;
  readonly nodeVersion: string;
  readonly platform: string;
  readonly release: string;
  readonly onnxruntimeVersion: string;
  /** 1-minute load average when the facts were read: other work on the machine skews every figure. */
  readonly loadAverage1m: number;
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
    loadAverage1m: loadavg()[0] ?? 0,
  };
}

/**
 * A warning when other processes already keep the cores busy (1-minute load average over
 * half the cores): the benchmark's client and servers then compete with them and the
 * figures, ratios included, are noisy.
 */
export function busyMachineWarning(facts: MachineFacts): string | undefined {
  return facts.loadAverage1m > facts.cores / 2
    ? `WARNING: machine busy (load average ${facts.loadAverage1m.toFixed(2)} on ${facts.cores} cores): figures are noisy`
    : undefined;
}

function packageVersion(name: string): string {
  try {
    const require = createRequire(import.meta.url);
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
