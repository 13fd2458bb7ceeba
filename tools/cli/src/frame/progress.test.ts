import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { NO_PROGRESS, terminalProgress } from './progress.js';

function stream(isTTY: boolean): Writable & { isTTY: boolean; text: () => string; columns: number } {
  let written = '';
  const out = new Writable({
    write(chunk, _encoding, done) {
      written += chunk.toString();
      done();
    },
  });
  return Object.assign(out, {
    isTTY,
    columns: 120,
    text: () => written,
    cursorTo: () => true,
    clearLine: () => true,
    moveCursor: () => true,
  });
}

describe('terminalProgress', () => {
  it('draws nothing when the stream is not a terminal', async () => {
    const out = stream(false);
    const progress = terminalProgress(out);
    expect(progress).toBe(NO_PROGRESS);
    const bar = progress.bar('reading', 10, 'bytes');
    bar.increment(5);
    bar.stop();
    expect(await progress.during('loading', Promise.resolve(7))).toBe(7);
    expect(out.text()).toBe('');
  });

  it('draws a labelled bar on a terminal', () => {
    const out = stream(true);
    const progress = terminalProgress(out);
    expect(progress.shown).toBe(true);
    const bar = progress.bar('reading x.npy', 2048, 'bytes');
    bar.update(1024);
    bar.stop();
    expect(out.text()).toContain('reading x.npy');
    expect(out.text()).toContain('1.0 KiB/2.0 KiB');
  });

  it('shows a ticking line only for a call that outlasts the delay', async () => {
    const quick = stream(true);
    await terminalProgress(quick, { duringDelayMs: 10_000 }).during('quick call', Promise.resolve(1));
    expect(quick.text()).toBe('');
    const slow = stream(true);
    await terminalProgress(slow, { duringDelayMs: 1 }).during(
      'slow call',
      new Promise((resolve) => setTimeout(resolve, 50)),
    );
    expect(slow.text()).toContain('slow call...');
  });

  it('passes a long call through, resolving or rejecting as it does', async () => {
    const progress = terminalProgress(stream(true));
    expect(await progress.during('loading model "iris"', Promise.resolve('ok'))).toBe('ok');
    await expect(progress.during('loading', Promise.reject(new Error('no')))).rejects.toThrow('no');
  });
});
