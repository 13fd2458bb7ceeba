import { describe, expect, it } from 'vitest';
import { ChildProcessGroup } from './child-process-group.js';
import { pickFreePort, waitForReadyLine } from './readiness.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('ChildProcessGroup', () => {
  it('stops a child that ignores SIGTERM by killing it after the grace period', async () => {
    const group = new ChildProcessGroup();
    const child = group.spawn('stubborn', process.execPath, [
      '-e',
      'process.on("SIGTERM", () => {}); console.log(JSON.stringify({ ready: true, port: 1 })); setInterval(() => {}, 1000);',
    ]);
    expect(await waitForReadyLine(child, 5_000)).toBe(1);
    await group.stop(child, 200);
    expect(child.process.signalCode).toBe('SIGKILL');
    expect(alive(child.pid)).toBe(false);
  });

  it('reports a child that exits before it is ready, with its output', async () => {
    const group = new ChildProcessGroup();
    const child = group.spawn('broken', process.execPath, [
      '-e',
      'console.error("bad flag"); process.exit(3)',
    ]);
    await expect(waitForReadyLine(child, 5_000)).rejects.toThrow(/broken \(pid \d+\) exited \(code 3\)/);
    await child.exited;
    expect(child.outputTail()).toContain('bad flag');
    await group.stopAll();
  });

  it('kills every child at once', async () => {
    const group = new ChildProcessGroup();
    const children = [1, 2].map((n) =>
      group.spawn(`sleeper ${n}`, process.execPath, ['-e', 'setInterval(() => {}, 1000)']),
    );
    group.killAllNow();
    await Promise.all(children.map((c) => c.exited));
    expect(children.every((c) => !alive(c.pid))).toBe(true);
  });
});

describe('pickFreePort', () => {
  it('returns a bindable loopback port', async () => {
    const port = await pickFreePort();
    expect(port).toBeGreaterThan(0);
    expect(port).toBeLessThan(65536);
  });
});
