import { describe, expect, it } from 'vitest';
import { parseProcStatCpuMs, readProcessCpuMs } from './process-cpu.js';

describe('parseProcStatCpuMs', () => {
  it('adds utime and stime, after a command name holding spaces and a parenthesis', () => {
    const stat = '4242 (node (x) y) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 75 0 0 20 0 11 0 99 1 2';
    expect(parseProcStatCpuMs(stat)).toBe(3250);
    expect(parseProcStatCpuMs(stat, 1000)).toBe(325);
  });

  it('is undefined for text without the fields', () => {
    expect(parseProcStatCpuMs('1 (x) S 1')).toBeUndefined();
  });

  it('reads this process, whose CPU time only grows', () => {
    const before = readProcessCpuMs(process.pid);
    let x = 0;
    for (let i = 0; i < 5e6; i++) x += i;
    expect(x).toBeGreaterThan(0);
    const after = readProcessCpuMs(process.pid);
    expect(before).toBeGreaterThanOrEqual(0);
    expect(after).toBeGreaterThanOrEqual(before!);
  });
});
