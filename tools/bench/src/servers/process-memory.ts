import { readFileSync } from 'node:fs';

/** Resident memory of a process, from /proc/<pid>/status (Linux). */
export interface ProcessMemory {
  /** VmRSS: resident now, in bytes. */
  readonly rssBytes: number;
  /** VmHWM: the most it was ever resident, in bytes. */
  readonly peakRssBytes: number;
}

/** Reads VmRSS and VmHWM of `pid`; undefined where /proc is missing or the process is gone. */
export function readProcessMemory(pid: number): ProcessMemory | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  return { rssBytes: statusKiB(text, 'VmRSS') * 1024, peakRssBytes: statusKiB(text, 'VmHWM') * 1024 };
}

function statusKiB(text: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}
