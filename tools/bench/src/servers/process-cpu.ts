import { readFileSync } from 'node:fs';

/**
 * Clock ticks per second of the times in /proc/<pid>/stat: Linux reports them in USER_HZ,
 * which is 100 on every architecture Node runs on.
 */
export const PROC_TICKS_PER_SECOND = 100;

/**
 * User plus system CPU time in ms from the text of /proc/<pid>/stat (fields 14 and 15,
 * counted after the parenthesised command name, which may itself hold spaces and ')').
 * Undefined when the text does not have them.
 */
export function parseProcStatCpuMs(text: string, ticksPerSecond = PROC_TICKS_PER_SECOND): number | undefined {
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so utime (14) and stime (15) are at 11 and 12.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!(Number.isFinite(utime) && Number.isFinite(stime)) || fields.length < 13) return undefined;
  return ((utime + stime) * 1000) / ticksPerSecond;
}

/** CPU time `pid` has used so far, in ms; undefined where /proc is missing or the process is gone. */
export function readProcessCpuMs(pid: number): number | undefined {
  try {
    return parseProcStatCpuMs(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}
